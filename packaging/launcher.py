"""The bundle's one entry point: the app, the ``rlm`` command, the engine worker or the REPL child.

PyInstaller builds two executables from this script, ``rlm-desktop`` (windowed) and ``rlm``
(console); each decides what to be from its first argument, then from its own name. The REPL
child mode is decided before anything else is imported: that process runs model-written code
and must see the standard library only, as ``python -I -S child.py`` does from a checkout.
"""

import sys

# The same strings as engine.bundle.REPL_CHILD_FLAG and WORKER_FLAG (a test checks they match);
# not imported from there, so that the REPL child imports nothing of the project.
REPL_CHILD_FLAG = "--rlm-repl-child"
WORKER_FLAG = "--rlm-engine-worker"


class _StandardLibraryOnly:
    """A first finder that refuses every module outside the standard library and the child's
    own two helpers; the folder's package directories would otherwise import as empty
    namespace packages, and their compiled extensions load."""

    def __init__(self, extra: set[str]) -> None:
        self.allowed = set(sys.stdlib_module_names) | extra

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] not in self.allowed:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def _standard_library_only(child_helpers: set[str]) -> None:
    """Forget every bundled module that is not part of the standard library.

    The bundle's archive holds the app's packages (Qt, PyMuPDF, the engine) beside the
    standard library; from a checkout the child's interpreter cannot import them (``-I -S``),
    so here they are removed from the archive's table, and refused, before model code runs.
    The kernel's layers (Landlock, seccomp, limits) stay the boundary; this keeps the REPL
    the same."""
    allowed = sys.stdlib_module_names
    importers = sys.modules.get("pyimod02_importers")
    archive = getattr(importers, "pyz_archive", None)
    toc = getattr(archive, "toc", None)
    if isinstance(toc, dict):
        for name in [n for n in toc if n.partition(".")[0] not in allowed]:
            del toc[name]
    for name in [n for n in sys.modules if n.partition(".")[0] not in allowed
                 and not n.startswith(("pyimod", "pyi_", "__main__", "_pyi"))]:
        del sys.modules[name]
    sys.path_importer_cache.clear()
    sys.meta_path.insert(0, _StandardLibraryOnly(child_helpers))


def _repl_child(args: list[str]) -> None:
    """``CHILD_PY CONTEXT DOCUMENTS [POLICY]``: run the REPL child script as ``__main__``."""
    import runpy

    _standard_library_only({"contract", "lockdown"})  # loaded by name from beside child.py
    sys.argv = list(args)
    runpy.run_path(args[0], run_name="__main__")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == REPL_CHILD_FLAG:
        _repl_child(sys.argv[2:])
        return
    import multiprocessing
    import os

    multiprocessing.freeze_support()  # the ingest pool's workers start from this executable
    if len(sys.argv) > 1 and sys.argv[1] == WORKER_FLAG:
        from engine.worker.server import main as worker_main

        sys.argv = [sys.argv[0], *sys.argv[2:]]
        sys.exit(worker_main())
    name = os.path.splitext(os.path.basename(sys.executable))[0].lower()
    if name == "rlm":
        from engine.cli.main import main as cli_main

        sys.exit(cli_main())
    from rlm_desktop.app import main as app_main

    sys.exit(app_main())


if __name__ == "__main__":
    main()
