"""Opening an Office Open XML package (a workbook, a presentation) safely: zip bombs,
encrypted files and files of another kind are refused with a reason before any parsing."""

from __future__ import annotations

import zipfile
from pathlib import Path

from engine.ingest.model import CORRUPT, EMPTY, PASSWORD, TOO_LARGE, ExtractionFailed

# What a package's parts may unpack to, in all and each; a part that packs tighter than
# MAX_RATIO and is larger than RATIO_FROM_BYTES is a zip bomb, not a document.
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_PART_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
RATIO_FROM_BYTES = 50_000_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_unpacked_sizes(infos: list[zipfile.ZipInfo], *,
                         max_total: int = MAX_UNPACKED_BYTES,
                         max_part: int = MAX_PART_BYTES) -> None:
    """Refuse a zip whose parts would unpack to absurd sizes (a zip bomb), before any part is
    read: by the sizes its directory declares, which zipfile then holds each part to."""
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > max_part or (info.file_size > RATIO_FROM_BYTES
                                         and ratio > MAX_RATIO):
            raise ExtractionFailed(TOO_LARGE, f"refused: part {info.filename!r} would unpack "
                                   f"to {info.file_size / 1e6:,.0f} MB from "
                                   f"{info.compress_size / 1e6:,.1f} MB (a zip bomb or a huge "
                                   "embedded file)")
    if total > max_total:
        raise ExtractionFailed(TOO_LARGE, f"refused: the file would unpack to {total / 1e9:,.1f} "
                               "GB (a zip bomb or huge embedded files)")


def check_package(path: Path, what: str, main_part: str, save_as: str) -> None:
    """Refuse a file that is not a package with ``main_part``, or unpacks to absurd sizes.

    ``what`` names the kind of file for the reason ("workbook"), ``save_as`` what to do
    about a legacy binary file ("save it as .xlsx").
    """
    if path.stat().st_size == 0:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        raise ExtractionFailed(PASSWORD, f"this {what} is password-protected or in the legacy "
                               f"binary format; remove the password or {save_as}, then "
                               "ingest it again")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ExtractionFailed(CORRUPT, f"not a readable {what}: the file is damaged or is "
                               f"another kind of file ({exc})") from exc
    check_unpacked_sizes(infos)
    if main_part not in {i.filename for i in infos}:
        raise ExtractionFailed(CORRUPT, f"not a {what}: the package has no {main_part} "
                               "(another Office format, or a plain zip with this name)")
