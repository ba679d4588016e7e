"""packaging/windows/rlm-desktop.iss, read as Inno Setup reads it: its paths fit the bundle.

Inno Setup cannot run here, so this parses the sections and checks every path, define, task
and function the script refers to.
"""

from __future__ import annotations

import re
from pathlib import PureWindowsPath

import pytest

from tests.packaging.load import PACKAGING

SCRIPT = PACKAGING / "windows" / "rlm-desktop.iss"
ROOT = PACKAGING.parent
# What packaging/rlm-desktop.spec puts in dist/rlm-desktop/ on Windows.
BUNDLE = {"rlm-desktop.exe", "rlm.exe", "_internal", "LICENSE", "THIRD-PARTY-NOTICES.txt"}


def read_script() -> tuple[dict[str, str], dict[str, list[str]]]:
    """The preprocessor's defaults, and each section's lines (comments and blanks dropped)."""
    defines: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current = None
    pending = None
    for raw in SCRIPT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if match := re.fullmatch(r"#ifndef (\w+)", line):
            pending = match[1]
        elif match := re.fullmatch(r'#define (\w+) "([^"]*)"', line):
            assert match[1] == pending, f"#define {match[1]} is not guarded by #ifndef"
            defines[match[1]] = match[2]
        elif line == "#endif":
            pending = None
        elif match := re.fullmatch(r"\[(\w+)\]", line):
            current = match[1]
            sections[current] = []
        else:
            assert current is not None, f"a line before any section: {line}"
            sections[current].append(line)
    return defines, sections


def setup_values(lines: list[str]) -> dict[str, str]:
    values = {}
    for line in lines:
        key, _, value = line.partition("=")
        assert key not in values, f"{key} set twice"
        values[key] = value
    return values


def entries(lines: list[str]) -> list[dict[str, str]]:
    """Entry lines (``Name: "x"; Flags: y``) as dicts; "" inside quotes is a quote."""
    result = []
    for line in lines:
        parameters = {}
        for match in re.finditer(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)\s*(?:;|$)', line):
            value = match[2].strip()
            if value.startswith('"'):
                value = value[1:-1].replace('""', '"')
            parameters[match[1]] = value
        assert parameters, f"not an entry: {line}"
        result.append(parameters)
    return result


def expand(value: str, defines: dict[str, str]) -> str:
    return re.sub(r"\{#(\w+)\}", lambda m: defines[m[1]], value)


def resolved(path: str) -> str:
    """A path relative to the script's folder, as a path relative to the checkout."""
    parts = PureWindowsPath(path).parts
    here = list(SCRIPT.parent.relative_to(ROOT).parts)
    for part in parts:
        if part == "..":
            here.pop()
        else:
            here.append(part)
    return "/".join(here)


@pytest.fixture(scope="module")
def script() -> tuple[dict[str, str], dict[str, list[str]]]:
    return read_script()


def test_every_define_used_has_a_default(script: tuple[dict[str, str], dict[str, list[str]]]
                                         ) -> None:
    defines, _ = script
    used = set(re.findall(r"\{#(\w+)\}", SCRIPT.read_text(encoding="utf-8")))
    assert used == {"AppVersion", "BundleDir", "SetupIcon", "OutputDir"}
    assert used <= set(defines), f"used without a default: {used - set(defines)}"


def test_setup_installs_per_user_by_default_under_a_fixed_id(
        script: tuple[dict[str, str], dict[str, list[str]]]) -> None:
    _, sections = script
    setup = setup_values(sections["Setup"])
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["PrivilegesRequiredOverridesAllowed"] == "dialog"
    assert setup["DefaultDirName"] == r"{autopf}\RLM Desktop"
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["SetupIconFile"] == "{#SetupIcon}"
    assert setup["UninstallDisplayIcon"] == r"{app}\rlm-desktop.exe"
    assert setup["ChangesEnvironment"] == "yes"


def test_paths_point_at_the_checkout_and_build_output(
        script: tuple[dict[str, str], dict[str, list[str]]]) -> None:
    defines, sections = script
    setup = setup_values(sections["Setup"])
    assert resolved(setup["LicenseFile"]) == "LICENSE"
    assert resolved(defines["BundleDir"]) == "dist/rlm-desktop"
    assert resolved(defines["OutputDir"]) == "dist"
    # packaging/build.py writes the icon into its work folder's assets/ (default build/).
    assert resolved(defines["SetupIcon"]) == "build/assets/rlm-desktop.ico"
    assert resolved(expand(setup["SetupIconFile"], defines)).endswith(".ico")


def test_files_copy_the_whole_bundle(script: tuple[dict[str, str], dict[str, list[str]]]
                                     ) -> None:
    defines, sections = script
    (files,) = entries(sections["Files"])
    assert expand(files["Source"], defines) == defines["BundleDir"] + "\\*"
    assert files["DestDir"] == "{app}"
    assert {"recursesubdirs", "createallsubdirs"} <= set(files["Flags"].split())


def test_every_app_path_is_in_the_bundle() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    referenced = set(re.findall(r"\{app\}\\([^\\\"';\s]+)", text))
    assert "rlm-desktop.exe" in referenced
    assert referenced <= BUNDLE, f"not in the bundle: {referenced - BUNDLE}"


def test_shortcuts_start_the_windowed_app(script: tuple[dict[str, str], dict[str, list[str]]]
                                          ) -> None:
    _, sections = script
    icons = entries(sections["Icons"])
    assert {icon["Name"] for icon in icons} == {r"{autoprograms}\RLM Desktop",
                                                 r"{autodesktop}\RLM Desktop"}
    assert all(icon["Filename"] == r"{app}\rlm-desktop.exe" for icon in icons)
    desktop = next(icon for icon in icons if icon["Name"].startswith("{autodesktop}"))
    assert desktop["Tasks"] == "desktopicon"


def test_tasks_are_optional_and_every_reference_is_defined(
        script: tuple[dict[str, str], dict[str, list[str]]]) -> None:
    _, sections = script
    tasks = {task["Name"]: task for task in entries(sections["Tasks"])}
    assert set(tasks) == {"desktopicon", "addtopath"}
    assert all("unchecked" in task["Flags"].split() for task in tasks.values())
    assert "PATH" in tasks["addtopath"]["Description"]
    used = {entry["Tasks"] for name in ("Icons", "Registry", "Files", "Run")
            for entry in entries(sections.get(name, [])) if "Tasks" in entry}
    assert used == set(tasks)


def test_path_entry_is_per_user_and_checked(script: tuple[dict[str, str],
                                                          dict[str, list[str]]]) -> None:
    _, sections = script
    (path,) = entries(sections["Registry"])
    assert (path["Root"], path["Subkey"], path["ValueName"]) == ("HKCU", "Environment", "Path")
    assert path["ValueData"] == "{olddata};{app}"
    assert path["Check"] == "NeedsAddPath(ExpandConstant('{app}'))"
    assert "uninsdeletevalue" not in path.get("Flags", "")  # that would delete the whole PATH
    code = "\n".join(sections["Code"])
    for function in ("function NeedsAddPath(Dir: string): Boolean;",
                     "procedure RemovePath(Dir: string);",
                     "procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);"):
        assert function in code
    assert "RemovePath(ExpandConstant('{app}'))" in code


def test_uninstall_never_deletes_the_users_data(script: tuple[dict[str, str],
                                                              dict[str, list[str]]]) -> None:
    _, sections = script
    for name in ("UninstallDelete", "InstallDelete"):
        for entry in entries(sections.get(name, [])):
            assert entry["Name"].startswith("{app}\\"), entry
    code = "\n".join(sections["Code"])
    assert not re.search(r"\b(DelTree|DeleteFile|RemoveDir)\b", code)
    assert "{localappdata}\\rlm-desktop" in code  # named in the goodbye message


def test_code_blocks_are_balanced(script: tuple[dict[str, str], dict[str, list[str]]]
                                  ) -> None:
    _, sections = script
    code = re.sub(r"\{[^}]*\}|'[^']*'", "", "\n".join(sections["Code"]))  # comments, strings
    words = re.findall(r"\b(begin|end)\b", code, flags=re.IGNORECASE)
    assert words.count("begin") == words.count("end") > 0
