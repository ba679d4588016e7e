"""Hostile code hunting for the API key: in memory, modules, arguments, environment, files.
The key lives only in the worker; the conftest checks no canary reaches any output."""

from __future__ import annotations

from typing import Any

from tests.engine.sandbox.hostile.conftest import Canaries
from tests.engine.sandbox.hostile.test_hostile_files import TRY, blocked

# The patterns are glued together at run time so the hunt does not find its own source.
HUNT = """
import gc, os, re, sys
pattern = re.compile('s' + 'k-canary-[0-9a-f]{16}|SEC' + 'RET-[A-Z-]+-[0-9a-f]{16}|Bea' + 'rer ')
def hits(text):
    return pattern.search(text) is not None
found = []
"""


def test_gc_objects_hold_no_key(attack: Any) -> None:
    code = HUNT + """
for obj in gc.get_objects():
    try:
        if isinstance(obj, dict):
            texts = [str(k) + '=' + str(v)[:200] for k, v in list(obj.items())]
        elif isinstance(obj, (list, tuple)):
            texts = [str(x)[:200] for x in obj if isinstance(x, (str, bytes))]
        else:
            continue
    except Exception:
        continue
    found += [t for t in texts if hits(t) and '{16}' not in t]  # not the pattern itself
print('FOUND', found[:5], len(gc.get_objects()) > 1000)
"""
    assert "FOUND [] True" in attack(code).shown


def test_sys_modules_and_frames_hold_no_key(attack: Any) -> None:
    code = HUNT + """
for name, module in list(sys.modules.items()):
    for attr, value in list(vars(module).items()):
        if isinstance(value, str) and hits(value) and '{16}' not in value:
            found.append(f'{name}.{attr}')
frame = sys._getframe()
while frame is not None:
    found += [k for k, v in frame.f_globals.items() if isinstance(v, str) and hits(v)]
    frame = frame.f_back
print('FOUND', found, len(sys.modules) > 20)
"""
    assert "FOUND [] True" in attack(code).shown


def test_arguments_and_environment_hold_no_key(attack: Any) -> None:
    code = TRY + """
print('ARGV', [a for a in sys.argv if 'sk-' in a or 'KEY' in a.upper()])
print('ENV', {k: v for k, v in os.environ.items() if 'KEY' in k.upper() or 'sk-' in v})
print('ORIG', hasattr(sys, 'orig_argv') and [a for a in sys.orig_argv if 'sk-' in a])
attempt('proc-environ', lambda: open('/proc/self/environ', 'rb').read())
"""
    shown = attack(code).shown
    assert "ARGV []" in shown and "ENV {}" in shown and "ORIG []" in shown
    blocked(shown, "proc-environ")


def test_key_files_and_keyrings(attack: Any, canaries: Canaries) -> None:
    home = canaries.home
    paths = [home / ".local/share/keyrings/login.keyring", home / ".config/rlm-desktop",
             home / ".local/share/rlm-desktop", home / ".netrc", home / ".config/openai"]
    code = TRY + "".join(
        f"attempt({str(p)!r}, lambda: open({str(p)!r}).read() if os.path.isfile({str(p)!r}) "
        f"else os.listdir({str(p)!r}))\n" for p in paths)
    shown = attack(code).shown
    assert "ESCAPED" not in shown and shown.count("BLOCKED") == len(paths)


def test_ask_the_host_for_the_key_through_frames(attack: Any) -> None:
    # The only way out is the frame protocol, and no operation there returns secrets.
    code = """
import sys
ch = sys.modules['__main__'].CHANNEL
for op in ('get_key', 'env', 'config', 'keyring'):
    print(op, ch.call(op, {'name': 'OPENAI_API_KEY'}))
"""
    shown = attack(code).shown
    assert shown.count("unknown operation") == 4


def test_scan_own_memory_with_ctypes(attack: Any) -> None:
    # Reading raw memory of this process finds only what this process holds.
    code = """
import ctypes, gc
hits = 0
for obj in gc.get_objects():
    if isinstance(obj, str) and len(obj) > 10:
        raw = ctypes.string_at(id(obj), min(len(obj) + 64, 4096))
        hits += b'sk-canary' in raw and b'sk-canary' not in obj.encode()
print('raw hits', hits)
"""
    assert "raw hits 0" in attack(code).shown
