"""Requirement lines and environment markers, checked by hand and against packaging."""

from __future__ import annotations

import itertools

import pytest

from engine.notices.requirements import (
    MarkerError,
    default_environment,
    marker_holds,
    parse_requirement,
)

ENV = {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.7",
       "sys_platform": "linux", "os_name": "posix", "platform_machine": "x86_64"}


@pytest.mark.parametrize(("marker", "extras", "expected"), [
    ("python_version < '3.12'", (), True),
    ("python_version >= '3.12'", (), False),
    ('python_version < "3.11" or sys_platform == "linux"', (), True),
    ("extra == 'dev'", (), False),
    ("extra == 'dev'", ("dev",), True),
    ("extra == 'Fast_Mode'", ("fast-mode",), True),
    ("(os_name == 'nt' or os.name == 'posix') and platform_machine in 'x86_64 aarch64'", (),
     True),
    ("python_full_version < '3.11.7'", (), False),
    ("python_version == '3.11.*'", (), True),
    ("'3.12' <= python_version", (), False),
    ("sys_platform < 'win32'", (), False),   # strings have no order
])
def test_markers(marker: str, extras: tuple[str, ...], expected: bool) -> None:
    assert marker_holds(marker, extras, ENV) is expected


@pytest.mark.parametrize("marker", ["python_version <", "nonsense == '1'", "(os_name == 'nt'",
                                    "os_name ~= 'posix'"])
def test_unreadable_markers_raise(marker: str) -> None:
    with pytest.raises(MarkerError):
        marker_holds(marker, (), ENV)


def test_requirement_lines() -> None:
    requirement = parse_requirement('PySide6-Essentials<6.12,>=6.7; python_version < "3.12"')
    assert requirement.name == "PySide6-Essentials" and not requirement.extras
    assert requirement.marker == 'python_version < "3.12"'
    requirement = parse_requirement("httpx2[HTTP2, socks] >=1 ; extra == 'net'")
    assert requirement.extras == {"http2", "socks"} and requirement.marker == "extra == 'net'"
    requirement = parse_requirement("thing @ https://example.invalid/a;b.whl ; os_name == 'nt'")
    assert requirement.name == "thing" and requirement.marker == "os_name == 'nt'"


VERSIONS = ["3.11", "3.12", "3.11.7", "3.12.0rc1", "3.13.0a1", "3.11.0.post1", "3.11.dev0",
            "3.11.7+local", "3", "3.0", "1!3.11", "3.12.1", "3.11.7.post2.dev3", "linux"]
OPS = ["<", "<=", "==", "!=", ">=", ">", "~=", "===", "in", "not in"]


def test_markers_agree_with_packaging() -> None:
    markers = pytest.importorskip("packaging.markers", reason="packaging comes with pytest")
    disagree = []
    for key, have, op, want in itertools.product(
            ["python_full_version", "platform_release", "sys_platform"], VERSIONS, OPS,
            [*VERSIONS, "3.11.*", "3.*", "3.0.*"]):
        marker = f'{key} {op} "{want}"'
        environment = {**ENV, key: have}
        try:
            expected: object = markers.Marker(marker).evaluate(environment)
        except Exception:
            expected = "error"
        try:
            found: object = marker_holds(marker, (), environment)
        except MarkerError:
            found = "error"
        if found != expected:
            disagree.append((marker, have, expected, found))
    assert not disagree
