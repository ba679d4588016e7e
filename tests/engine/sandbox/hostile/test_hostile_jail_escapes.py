"""Escapes collected from public Python-jail write-ups. The REPL is not a Python jail (the
model has all of Python); the kernel is the wall, so each route ends in the same refusals."""

from __future__ import annotations

from typing import Any

from tests.engine.sandbox.hostile.conftest import Canaries
from tests.engine.sandbox.hostile.test_hostile_files import TRY, blocked


def test_subclasses_walk_to_popen_and_os(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
classes = ().__class__.__base__.__subclasses__()
popen = [c for c in classes if c.__name__ == 'Popen']
wrap = [c for c in classes if c.__name__ == '_wrap_close']
if not popen:
    import subprocess
    popen = [subprocess.Popen]
attempt('subclass-popen', lambda: popen[0](['touch', {str(canaries.marker)!r}]).wait())
system = wrap[0].__init__.__globals__['system'] if wrap else os.system
print('subclass-system returned', system('touch ' + {str(canaries.marker)!r}))
"""
    shown = attack(code).shown
    blocked(shown, "subclass-popen")
    assert "subclass-system returned 32512" in shown


def test_builtins_tricks(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
b = __builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)
imp = b['__import__']
attempt('import-os-system', lambda: imp('os').execv('/bin/sh', ['sh']))
attempt('eval-open', lambda: eval("open({str(canaries.secret_file)!r}).read()"))
attempt('exec-socket', lambda: exec("import socket; socket.socket()"))
attempt('getattr-chain', lambda: getattr(imp('os'), 'fork')())
"""
    blocked(attack(code).shown, "import-os-system", "eval-open", "exec-socket", "getattr-chain")


def test_frame_and_code_object_tricks(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
import types
g = (lambda: 0).__globals__
attempt('func-globals-open', lambda: g['__builtins__'].open({str(canaries.secret_file)!r})
        if not isinstance(g['__builtins__'], dict)
        else g['__builtins__']['open']({str(canaries.secret_file)!r}))
f = sys._getframe()
while f.f_back:
    f = f.f_back
print('outermost frame is the child', f.f_code.co_filename.endswith('child.py'))
attempt('loader-get-data', lambda: __loader__.get_data({str(canaries.secret_file)!r})
        if '__loader__' in dir() else open({str(canaries.secret_file)!r}).read())
"""
    blocked(attack(code).shown, "func-globals-open", "loader-get-data")


def test_import_machinery_from_outside_the_stdlib(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
import importlib.util
sys.path.insert(0, {str(canaries.home)!r})
sys.path.insert(0, '/usr/lib/python3/dist-packages')
attempt('spec-from-secret', lambda: importlib.util.spec_from_file_location(
    'x', {str(canaries.secret_file)!r}).loader.get_data({str(canaries.secret_file)!r}))
attempt('zipimport', lambda: __import__('zipimport').zipimporter({str(canaries.secret_file)!r}))
attempt('site-packages', lambda: __import__('keyring'))
attempt('ctypes-find-library', lambda: __import__('ctypes.util').util.find_library('c') or
        (_ for _ in ()).throw(OSError(1, 'not found')))
"""
    blocked(attack(code).shown, "spec-from-secret", "zipimport", "site-packages",
            "ctypes-find-library")


def test_debuggers_and_tracers(attack: Any) -> None:
    code = TRY + """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print('ptrace traceme', libc.ptrace(0, 0, 0, 0), ctypes.get_errno())
attempt('faulthandler-file', lambda: __import__('faulthandler').enable(
        open('/tmp/rlm-faulthandler', 'w')))
"""
    shown = attack(code).shown
    assert "ptrace traceme -1 1" in shown
    blocked(shown, "faulthandler-file")
