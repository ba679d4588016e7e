"""Opening a Word package safely: refuse zip bombs, encrypted and legacy files with a reason,
accept .docx, .docm, .dotx and .dotm, and fall back to the raw XML when python-docx rejects a
package whose text is intact."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    CORRUPT,
    EMPTY,
    PASSWORD,
    TOO_LARGE,
    UNSUPPORTED,
    ExtractionFailed,
)
from engine.ingest.readers.officezip import check_unpacked_sizes

# Zip-bomb guards: what the parts may unpack to, in all and each.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_PART_BYTES = 512 * 1024 * 1024

OOXML_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_zip(path: Path) -> None:
    """Refuse what is not a Word package, or unpacks to absurd sizes, before parsing it."""
    size = path.stat().st_size
    if size == 0:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        if _is_encrypted_ooxml(path):
            raise ExtractionFailed(PASSWORD, "this Word file is password-protected; remove the "
                                   "password in Word (File > Info > Protect Document) and "
                                   "ingest it again")
        raise ExtractionFailed(UNSUPPORTED, "this is a legacy binary Word file (.doc) with a "
                               ".docx name; legacy .doc is not supported — open it in Word or "
                               "LibreOffice and save as .docx or PDF")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ExtractionFailed(CORRUPT, "not a readable Word file: the file is damaged or is "
                               f"not a .docx ({exc})") from exc
    check_unpacked_sizes(infos, max_total=MAX_UNPACKED_BYTES, max_part=MAX_PART_BYTES)
    if "word/document.xml" not in {i.filename for i in infos} and not any(
            i.filename.endswith(".xml") and "document" in i.filename for i in infos):
        raise ExtractionFailed(CORRUPT, "not a Word file: the package has no document part "
                               "(another Office format, or a plain zip with a .docx name)")


def _is_encrypted_ooxml(path: Path) -> bool:
    """Encrypted .docx files are OLE containers holding an "EncryptionInfo" stream."""
    needle = "EncryptionInfo".encode("utf-16-le")
    with open(path, "rb") as fh:
        return needle in fh.read(4 * 1024 * 1024)


def open_package(path: Path) -> tuple[Any, Any]:
    """The package (None for the raw fallback) and its main document part, for .docx,
    .docm, .dotx and .dotm alike."""
    from docx.opc.part import PartFactory
    from docx.package import Package
    from docx.parts.document import DocumentPart

    for content_type in OOXML_MAIN_TYPES:
        PartFactory.part_type_for.setdefault(content_type, DocumentPart)
    try:
        package = Package.open(str(path))
        part = package.main_document_part
    except MemoryError as exc:
        raise ExtractionFailed(TOO_LARGE, "the Word file needs more memory than an extraction "
                               "worker may use") from exc
    except Exception as exc:
        # python-docx loads every part; a damaged picture or theme should not cost the text.
        problem = " ".join(str(exc).split())[:200] or type(exc).__name__
        try:
            return None, RawPart.main(path)
        except Exception:
            raise ExtractionFailed(CORRUPT, f"not a readable Word file: {problem}") from exc
    if part.content_type not in OOXML_MAIN_TYPES:
        raise ExtractionFailed(UNSUPPORTED, "not a Word document (its main part is "
                               f"{part.content_type}); save it as .docx or PDF")
    return package, part


class RawPart:
    """Just enough of python-docx's Part for DocxReader, read straight from the zip: the
    fallback for packages python-docx refuses as a whole (a missing image, a bad checksum
    in a theme) whose text is intact."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        from docx.oxml.parser import parse_xml

        self.archive = archive
        self.name = name
        self.element = parse_xml(archive.read(name))
        self.rels: dict[str, tuple[str, str]] = {}
        folder, _, base = name.rpartition("/")
        rels_name = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        try:
            rels = parse_xml(archive.read(rels_name))
        except (KeyError, zipfile.BadZipFile, ValueError):
            return
        for rel in rels:
            target = str(rel.get("Target") or "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            resolved = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
            self.rels[str(rel.get("Id"))] = (str(rel.get("Type")), resolved)

    @classmethod
    def main(cls, path: Path) -> RawPart:
        """The package's main document part (named by ``_rels/.rels``, else the usual name)."""
        from docx.oxml.parser import parse_xml

        archive = zipfile.ZipFile(path)
        name = "word/document.xml"
        try:
            for rel in parse_xml(archive.read("_rels/.rels")):
                if str(rel.get("Type", "")).endswith("/officeDocument") and rel.get("Target"):
                    name = str(rel.get("Target")).lstrip("/")
        except (KeyError, zipfile.BadZipFile, ValueError):
            pass
        return cls(archive, name)

    def _part(self, name: str) -> RawPart:
        return RawPart(self.archive, name)

    def part_related_by(self, reltype: str) -> RawPart:
        for kind, name in self.rels.values():
            if kind == reltype:
                return self._part(name)
        raise KeyError(reltype)

    @property
    def related_parts(self) -> _LazyParts:
        return _LazyParts(self)


class _LazyParts:
    """``related_parts[rId]``, parsed only when asked for (most are pictures)."""

    def __init__(self, part: RawPart) -> None:
        self.part = part

    def __getitem__(self, rid: str) -> RawPart:
        if rid not in self.part.rels:
            raise KeyError(rid)
        return self.part._part(self.part.rels[rid][1])


def related_xml(part: Any, reltype: str) -> Any | None:
    try:
        related = part.part_related_by(reltype)
    except (KeyError, ValueError):
        return None
    element = getattr(related, "element", None)
    if element is not None:
        return element
    from docx.oxml.parser import parse_xml

    try:
        return parse_xml(related.blob)
    except Exception:
        return None
