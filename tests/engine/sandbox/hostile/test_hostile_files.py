"""Hostile code against files: reading secrets, listing folders, /proc, writing, filling the
disk, tampering with the mapped context."""

from __future__ import annotations

from typing import Any

from tests.engine.sandbox.hostile.conftest import Canaries

# Each attack prints ESCAPED when it succeeds and BLOCKED when it is refused.
TRY = """
import os, sys
def attempt(label, fn):
    try:
        got = fn()
    except Exception as exc:
        print('BLOCKED', label, type(exc).__name__, getattr(exc, 'errno', ''))
    else:
        print('ESCAPED', label, repr(got)[:300])
"""


def blocked(shown: str, *labels: str) -> None:
    assert "ESCAPED" not in shown, shown
    for label in labels:
        assert f"BLOCKED {label} " in shown, shown


def test_read_the_secret_file_in_home(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"attempt('read', lambda: open({str(canaries.secret_file)!r}).read())"
    blocked(attack(code).shown, "read")


def test_read_every_planted_secret_by_low_level_calls(attack: Any, canaries: Canaries) -> None:
    paths = [str(p) for p in canaries.secrets]
    code = TRY + f"""
for p in {paths!r}:
    attempt('os.open', lambda: os.read(os.open(p, os.O_RDONLY), 100))
    attempt('open-path', lambda: os.open(p, os.O_PATH))  # a handle without read rights
"""
    shown = attack(code).shown
    assert shown.count("BLOCKED os.open") == 3 and "ESCAPED os.open" not in shown


def test_list_the_home_folder(attack: Any, canaries: Canaries) -> None:
    home = str(canaries.home)
    code = TRY + f"""
attempt('listdir', lambda: os.listdir({home!r}))
attempt('scandir', lambda: list(os.scandir({home + '/Documents'!r})))
attempt('walk-root', lambda: os.listdir('/'))
import glob
print('glob found', [p for p in glob.glob({home + '/**'!r}, recursive=True)
                     if p.rstrip('/') != {home!r}])
"""
    shown = attack(code).shown
    blocked(shown, "listdir", "scandir", "walk-root")
    assert "glob found []" in shown


def test_read_the_parent_environment_and_memory(attack: Any) -> None:
    code = TRY + """
ppid = os.getppid()
attempt('environ', lambda: open(f'/proc/{ppid}/environ', 'rb').read())
attempt('mem', lambda: open(f'/proc/{ppid}/mem', 'rb'))
attempt('maps', lambda: open(f'/proc/{ppid}/maps').read())
attempt('cmdline', lambda: open(f'/proc/{ppid}/cmdline', 'rb').read())
attempt('fd-dir', lambda: os.listdir(f'/proc/{ppid}/fd'))
"""
    blocked(attack(code).shown, "environ", "mem", "maps", "cmdline", "fd-dir")


def test_own_environment_holds_nothing(attack: Any) -> None:
    code = TRY + """
print('ENV', sorted(os.environ))
attempt('self-environ', lambda: open('/proc/self/environ', 'rb').read())
"""
    shown = attack(code).shown
    assert "ENV ['LANG', 'LC_ALL', 'MALLOC_ARENA_MAX', 'PATH']" in shown
    blocked(shown, "self-environ")


def test_reopen_descriptors_through_proc_to_widen_access(attack: Any) -> None:
    # Re-opening an inherited pipe through /proc/self/fd yields the same pipe (Landlock
    # does not govern pipes): no new access. A file re-opened there is checked by path.
    code = TRY + """
fd = os.open(sys.argv[1], os.O_RDONLY)
attempt('context-for-writing', lambda: open(f'/proc/self/fd/{fd}', 'r+b'))
attempt('devnull', lambda: open('/proc/self/fd/0', 'rb'))
for pipe in (1, 2):
    again = os.open(f'/proc/self/fd/{pipe}', os.O_WRONLY)
    print('same pipe', pipe, os.fstat(again).st_ino == os.fstat(pipe).st_ino)
attempt('proc-1-root', lambda: open('/proc/1/root/etc/hostname').read())
attempt('proc-self-root', lambda: os.listdir('/proc/self/root/'))
attempt('proc-self-cwd', lambda: os.listdir('/proc/self/cwd/..'))
"""
    shown = attack(code).shown
    blocked(shown, "context-for-writing", "devnull", "proc-1-root", "proc-self-root",
            "proc-self-cwd")
    assert "same pipe 1 True" in shown and "same pipe 2 True" in shown


def test_system_secrets_and_terminal(attack: Any) -> None:
    code = TRY + """
for path in ('/etc/passwd', '/etc/shadow', '/etc/hostname', '/root/.bash_history',
             '/var/run/secrets', '/run/user'):
    attempt(path, lambda: open(path, 'rb').read(50) if os.path.isfile(path) else os.listdir(path))
attempt('tty', lambda: os.open('/dev/tty', os.O_RDWR))
import pwd
attempt('pwd', lambda: pwd.getpwuid(os.getuid()).pw_dir)
"""
    shown = attack(code).shown
    blocked(shown, "/etc/passwd", "/etc/shadow", "/etc/hostname", "tty", "pwd")


def test_write_outside_any_scratch_folder(attack: Any, canaries: Canaries, tmp_path: Any) -> None:
    target = tmp_path / "written-by-model.txt"
    code = TRY + f"""
attempt('home', lambda: open({str(canaries.home / 'pwned.txt')!r}, 'w').write('x'))
attempt('tmp', lambda: open({str(target)!r}, 'w').write('x'))
attempt('cwd', lambda: open('here.txt', 'w').write('x'))
attempt('append-secret', lambda: open({str(canaries.secret_file)!r}, 'a').write('x'))
attempt('mkdir', lambda: os.mkdir('/tmp/rlm-made-by-model'))
attempt('dev-shm', lambda: open('/dev/shm/rlm-model', 'w'))
"""
    blocked(attack(code).shown, "home", "tmp", "cwd", "append-secret", "mkdir", "dev-shm")
    assert not target.exists() and not (canaries.home / "pwned.txt").exists()


def test_destroy_or_weaken_files(attack: Any, canaries: Canaries) -> None:
    secret = str(canaries.secret_file)
    before = canaries.secret_file.stat().st_mode
    code = TRY + f"""
attempt('truncate', lambda: os.truncate({secret!r}, 0))
attempt('o_trunc', lambda: os.open({secret!r}, os.O_RDONLY | os.O_TRUNC))
attempt('unlink', lambda: os.unlink({secret!r}))
attempt('rename', lambda: os.rename({secret!r}, {secret + '.moved'!r}))
attempt('chmod', lambda: os.chmod({secret!r}, 0o777))
attempt('chown', lambda: os.chown({secret!r}, 0, 0))
attempt('utime', lambda: os.utime({secret!r}, (0, 0)))
attempt('xattr', lambda: os.setxattr({secret!r}, 'user.x', b'1'))
"""
    blocked(attack(code).shown, "truncate", "o_trunc", "unlink", "rename", "chmod", "chown",
            "utime", "xattr")
    assert canaries.secret_file.stat().st_mode == before


def test_links_to_reach_a_secret(attack: Any, canaries: Canaries) -> None:
    secret = str(canaries.secret_file)
    code = TRY + f"""
attempt('symlink', lambda: os.symlink({secret!r}, 'link'))
attempt('hardlink', lambda: os.link({secret!r}, 'hard'))
attempt('read-through-link', lambda: open('link').read())
attempt('mkfifo', lambda: os.mkfifo('fifo'))
"""
    blocked(attack(code).shown, "symlink", "hardlink", "read-through-link", "mkfifo")


def test_fill_the_disk(attack: Any) -> None:
    code = TRY + """
def fill(path):
    with open(path, 'wb') as fh:
        while True:
            fh.write(b'x' * (1 << 20))
for path in ('/tmp/rlm-fill', '/var/tmp/rlm-fill', 'fill.bin', '/dev/shm/rlm-fill'):
    attempt(path, lambda: fill(path))
"""
    shown = attack(code).shown
    blocked(shown, "/tmp/rlm-fill", "/var/tmp/rlm-fill", "fill.bin", "/dev/shm/rlm-fill")


def test_tamper_with_the_mapped_context(attack: Any) -> None:
    code = TRY + """
import mmap
path = sys.argv[1]
before = open(path, encoding='utf-8').read()
attempt('write', lambda: open(path, 'r+b').write(b'FORGED'))
attempt('mmap-write', lambda: mmap.mmap(os.open(path, os.O_RDONLY), 0, access=mmap.ACCESS_WRITE))
attempt('chmod', lambda: os.chmod(path, 0o666))
attempt('replace', lambda: os.replace(sys.argv[2], path))
attempt('unlink', lambda: os.unlink(path))
print('UNCHANGED', open(path, encoding='utf-8').read() == before == context)
"""
    shown = attack(code).shown
    blocked(shown, "write", "mmap-write", "chmod", "replace", "unlink")
    assert "UNCHANGED True" in shown


def test_read_the_engine_source_to_find_key_handling(attack: Any) -> None:
    # The child may read its own folder (engine/sandbox), never the rest of the engine.
    code = TRY + """
engine = os.path.dirname(os.path.dirname(sys.argv[0]))
attempt('engine-init', lambda: open(os.path.join(engine, '__init__.py')).read())
attempt('secrets-module', lambda: open(os.path.join(engine, 'secrets.py')).read())
sys.path.insert(0, os.path.dirname(engine))
attempt('import-engine', lambda: __import__('engine.secrets'))
"""
    blocked(attack(code).shown, "engine-init", "secrets-module", "import-engine")
