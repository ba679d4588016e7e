"""Context offsets point exactly at documents and pages, markers included."""

from __future__ import annotations

from engine.context_format import Page, SourceDocument, build_context


def test_offsets_slice_documents_and_pages() -> None:
    docs = [SourceDocument(1, "Lease", "/a/lease.txt", "text",
                           [Page(1, "first page"), Page(2, "second page\n", label="ii")]),
            SourceDocument(7, "Memo", "/a/memo.txt", "text", [Page(1, "memo text")])]
    context, index = build_context(docs)
    lease, memo = index
    assert context[lease["start"]:].startswith("=== DOCUMENT 1: Lease (text, 2 pages) ===")
    page2 = lease["pages"][1]
    assert context[page2["start"]:page2["end"]] == \
        '--- doc 1, page 2 (printed "ii") ---\nsecond page\n'
    assert page2["label"] == "ii"
    assert context[memo["start"]:memo["end"]].endswith("memo text\n")
    assert memo["id"] == 7 and memo["path"] == "/a/memo.txt"
    assert lease["end"] <= memo["start"]


def test_empty_library() -> None:
    assert build_context([]) == ("", [])
