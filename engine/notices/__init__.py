"""The third-party notices the program ships, generated from the installed packages it runs on."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Sequence
from importlib.metadata import Distribution, PackageMetadata
from pathlib import Path, PurePosixPath

from engine import __version__, bundle
from engine.errors import ConfigError
from engine.notices.fixed import fixed_notices
from engine.notices.model import Notice, clean
from engine.notices.requirements import MarkerError, canonical, marker_holds, parse_requirement

PROGRAM = "rlm-desktop"
LICENCE_EXPRESSION = "AGPL-3.0-or-later"
LICENCE_WORDS = "Free software under the GNU Affero General Public License, version 3 or later"
NOTICES_FILE = "THIRD-PARTY-NOTICES.txt"
_LICENCE_NAME = re.compile(r"(LICEN[CS]E|COPYING|NOTICE)", re.IGNORECASE)

__all__ = ["LICENCE_EXPRESSION", "LICENCE_WORDS", "NOTICES_FILE", "Notice", "notices",
           "notices_text", "program_licence", "runtime_distributions", "shipped_notices",
           "write_notices"]


def shipped_notices() -> Path | None:
    """The notices file the bundle ships beside LICENSE; None when there is none (a checkout
    or an installed package: then notices_text() makes them)."""
    path = bundle.data_dir() / NOTICES_FILE
    return path if path.is_file() else None


def program_licence() -> str | None:
    """The text of the program's own LICENSE: beside the program (a checkout, the bundle),
    else in its installed package information; None when neither has it."""
    path = bundle.data_dir() / "LICENSE"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    dist = _finder(None)(PROGRAM)
    for name in ("licenses/LICENSE", "LICENSE"):
        try:
            text = dist.read_text(name) if dist is not None else None
        except (OSError, UnicodeDecodeError):
            text = None
        if text:
            return text
    return None


def _finder(path: Sequence[str] | None) -> Callable[[str], Distribution | None]:
    def find(name: str) -> Distribution | None:
        context = {"name": name} if path is None else {"name": name, "path": list(path)}
        return next(iter(Distribution.discover(**context)), None)
    return find


def runtime_distributions(root: str = PROGRAM, path: Sequence[str] | None = None
                          ) -> tuple[list[Distribution], list[str]]:
    """The installed distributions ``root`` needs to run (its ``Requires-Dist`` whose markers
    hold here, without its extras, followed recursively), and the requirements not installed.

    ``path`` is where to look (default: ``sys.path``). Raises ConfigError when ``root`` is not
    installed, since then nothing can be listed."""
    find = _finder(path)
    found: dict[str, Distribution] = {}
    asked: dict[str, set[str]] = {}
    missing: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while todo:
        name, extras = todo.pop()
        key = canonical(name)
        if key in asked and extras <= asked[key]:
            continue
        asked.setdefault(key, set()).update(extras)
        dist = found.get(key) or find(name)
        if dist is None:
            if key == canonical(root):
                raise ConfigError(f"{root} is not installed in this Python, so the packages it "
                                  "runs on cannot be listed: install it (pip install .) and "
                                  "try again.")
            missing.add(name)
            continue
        found[key] = dist
        for line in dist.requires or []:
            requirement = parse_requirement(line)
            try:
                holds = marker_holds(requirement.marker, asked[key])
            except MarkerError:
                holds = True   # one notice too many does no harm; one too few does
            if holds:
                todo.append((requirement.name, requirement.extras))
    del found[canonical(root)]
    return [found[key] for key in sorted(found)], sorted(missing, key=canonical)


def _field(metadata: PackageMetadata, name: str) -> str:
    """A field's first value, "" when absent (indexing a missing field warns or raises)."""
    values = metadata.get_all(name) or []
    return str(values[0]) if values else ""


def licence_of(metadata: PackageMetadata) -> str:
    """License-Expression, else License, else the License :: classifiers."""
    expression = _field(metadata, "License-Expression").strip()
    if expression:
        return expression
    field = _field(metadata, "License").strip()
    if field and "\n" not in field and len(field) <= 200:
        return field
    classifiers = [c.split(" :: ")[-1] for c in metadata.get_all("Classifier") or []
                   if c.startswith("License :: ")]
    if classifiers:
        return "; ".join(classifiers)
    if field:   # a whole licence text pasted into the field: its first line names it
        return field.splitlines()[0].strip() + " (the text follows)"
    return "not stated in its package information"


def licence_files(dist: Distribution) -> list[tuple[str, str]]:
    """(file name, text) of each licence file the distribution ships in its .dist-info: those
    its License-File entries name, those under licenses/, and LICENSE*/COPYING*/NOTICE*."""
    names = []
    for entry in dist.metadata.get_all("License-File") or []:
        names += [f"licenses/{entry}", entry]
    # RECORD read as text: Distribution.files makes a path of each of (for Qt) 10,000 lines.
    record = [line for line in (dist.read_text("RECORD") or "").splitlines()
              if ".dist-info/" in line]
    for row in csv.reader(record):
        parts = PurePosixPath(row[0]).parts if row else ()
        if len(parts) > 1 and parts[0].endswith(".dist-info") and (
                parts[1] == "licenses" or _LICENCE_NAME.match(parts[-1])):
            names.append("/".join(parts[1:]))
    texts: dict[str, str] = {}
    for name in names:
        shown = name.removeprefix("licenses/")
        if shown in texts:
            continue
        try:
            text = dist.read_text(name)
        except UnicodeDecodeError:
            text = Path(str(dist.locate_file(name))).read_bytes().decode("utf-8", "replace")
        except OSError:
            text = None
        if text is not None:
            texts[shown] = text
    return sorted(texts.items())


def _urls(metadata: PackageMetadata) -> tuple[str, ...]:
    home = _field(metadata, "Home-page")
    urls = [f"Home page: {home}"] if home else []
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls.append(f"{label.strip()}: {url.strip()}" if url else label.strip())
    return tuple(dict.fromkeys(urls))


def describe(dist: Distribution) -> Notice:
    texts = licence_files(dist)
    metadata = dist.metadata   # parsed anew on each access
    field = _field(metadata, "License").strip()
    note = ""
    if not texts and "\n" in field:
        texts = [("License field of its package information", field)]
    elif not texts:
        note = "Its package carries no licence file; the licence named above applies."
    return Notice(_field(metadata, "Name"), _field(metadata, "Version"), licence_of(metadata),
                  _urls(metadata), tuple(texts), note)


def notices(path: Sequence[str] | None = None) -> tuple[list[Notice], list[str]]:
    """Every notice, sorted by name, and the requirements that are not installed."""
    distributions, missing = runtime_distributions(PROGRAM, path)
    every = [describe(d) for d in distributions]
    every += fixed_notices(_finder(path), licence_files)
    return sorted(every, key=lambda n: (canonical(n.name), n.version)), missing


def notices_text(path: Sequence[str] | None = None) -> str:
    """The whole notices file: a header naming the program and its licence, then each
    component with its licence texts."""
    every, missing = notices(path)
    header = [
        f"RLM Desktop {__version__} ({PROGRAM}): third-party notices",
        "",
        f"RLM Desktop is free software under the GNU Affero General Public License, version 3 "
        f"or (at your option) any later version ({LICENCE_EXPRESSION}); its text is in the "
        "file LICENSE. It comes with no warranty. Whoever gave you this copy must offer you "
        f"its source code too: {PROGRAM}-{__version__}-source.tar.gz, which the build writes "
        "beside the bundle.",
        "",
        f"It runs on the {len(every)} components below, each listed with its version, its "
        "licence, its web addresses and the full text of each licence file it ships.",
    ]
    if missing:
        header += ["", "Required but not installed where this list was made: "
                   + ", ".join(missing)]
    return clean("\n".join(header) + "\n\n" + "\n\n".join(n.render() for n in every)) + "\n"


def write_notices(path: Path) -> None:
    """Write the notices to ``path`` whole: a temporary file beside it, then a rename."""
    text = notices_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
