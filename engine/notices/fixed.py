"""The notices package metadata cannot give: Python itself, the PyInstaller bootloader, Qt
and MuPDF."""

from __future__ import annotations

import platform
import sys
import sysconfig
from collections.abc import Callable
from importlib.metadata import Distribution
from pathlib import Path

from engine.notices.model import Notice

LICENCES = Path(__file__).resolve().parent / "licenses"

# A distribution's name -> the installed distribution, or None
Finder = Callable[[str], Distribution | None]


def fixed_notices(find: Finder, licence_files: Callable[[Distribution], list[tuple[str, str]]]
                  ) -> list[Notice]:
    return [_python(), _bootloader(find, licence_files), _qt(find), _mupdf(find)]


def _python() -> Notice:
    version = platform.python_version()
    texts = []
    for candidate in _python_licence_paths():
        if candidate.is_file():
            texts.append(("Python's LICENSE.txt", candidate.read_text("utf-8", "replace")))
            break
    note = "The program runs on, and the installers' bundles carry, the Python interpreter " \
        "and its standard library."
    if not texts:
        note += " The licence's full text: https://docs.python.org/3/license.html"
    return Notice("Python", version, "PSF-2.0 (Python Software Foundation License Version 2)",
                  ("https://www.python.org/", "https://docs.python.org/3/license.html"),
                  tuple(texts), note)


def _python_licence_paths() -> list[Path]:
    major_minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return [Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt",
            Path(sys.base_prefix) / "lib" / major_minor / "LICENSE.txt",
            Path(sys.base_prefix) / "LICENSE.txt"]


def _bootloader(find: Finder,
                licence_files: Callable[[Distribution], list[tuple[str, str]]]) -> Notice:
    dist = find("pyinstaller")
    texts = tuple(licence_files(dist)) if dist is not None else ()
    note = ("Only in the installers' bundles: the small launcher that starts the bundled "
            "Python. Its licence's bootloader exception allows it to be distributed with "
            "programs under any licence.")
    if not texts:
        note += (" The licence's full text: "
                 "https://github.com/pyinstaller/pyinstaller/blob/develop/COPYING.txt")
    return Notice("PyInstaller bootloader", dist.version if dist is not None else "",
                  "GPL-2.0-or-later WITH Bootloader-exception",
                  ("https://pyinstaller.org/", "https://github.com/pyinstaller/pyinstaller"),
                  texts, note)


def _qt(find: Finder) -> Notice:
    dist = find("pyside6-essentials")
    version = dist.version if dist is not None else ""
    folder = f"official_releases/qt/{'.'.join(version.split('.')[:2])}/{version}/" \
        if version else "official_releases/qt/"
    note = (
        "The Qt libraries, PySide6 and shiboken6 are used under the GNU Lesser General Public "
        "License version 3. The installers keep them as separate, replaceable shared "
        "libraries in the program's folder: you may replace them with your own build of the "
        "same Qt version. Qt's source code: https://download.qt.io/" + folder + " ; "
        "PySide6's and shiboken6's: https://code.qt.io/cgit/pyside/pyside-setup.git/ (tag "
        f"v{version or 'VERSION'}). The PySide6-Essentials and shiboken6 packages carry no "
        "licence file of their own (their package information names \"LGPL-3.0-only OR "
        "GPL-2.0-only OR GPL-3.0-only\"; see https://pypi.org/project/PySide6-Essentials/ and "
        "https://doc.qt.io/qtforpython-6/licenses.html for the notices of the third-party code "
        "inside Qt). The LGPL-3.0 adds permissions to the GPL-3.0, so both texts follow.")
    return Notice("Qt (through PySide6-Essentials and shiboken6)", version, "LGPL-3.0-only",
                  ("https://www.qt.io/", "https://download.qt.io/", "https://pyside.org"),
                  (("GNU LGPL 3.0", (LICENCES / "LGPL-3.0.txt").read_text("utf-8")),
                   ("GNU GPL 3.0", (LICENCES / "GPL-3.0.txt").read_text("utf-8"))), note)


def _mupdf(find: Finder) -> Notice:
    dist = find("pymupdf")
    inside = f"inside PyMuPDF {dist.version}" if dist is not None else "inside PyMuPDF"
    note = (f"MuPDF, by Artifex Software, is the PDF library {inside}; it is used under the "
            "GNU Affero General Public License version 3, the licence of this program too: "
            "its full text is this program's LICENSE file. Source code: https://mupdf.com , "
            "https://github.com/ArtifexSoftware/mupdf and, for PyMuPDF, "
            "https://github.com/pymupdf/PyMuPDF")
    return Notice("MuPDF", inside, "AGPL-3.0 (Artifex Software, Inc.)",
                  ("https://mupdf.com", "https://github.com/pymupdf/PyMuPDF"), (), note)
