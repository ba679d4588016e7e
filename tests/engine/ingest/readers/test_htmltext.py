"""HTML: visible text only, structure kept readable, declared charsets honoured."""

from __future__ import annotations

from pathlib import Path

from engine.ingest.readers.htmltext import decode_html, extract_html, html_to_text


def test_scripts_styles_and_head_are_dropped() -> None:
    text, title = html_to_text(
        "<html><head><title> Lease &amp; Terms </title><style>p{color:red}</style>"
        "<script>var secret = 1;</script></head><body><noscript>enable js</noscript>"
        "<p>Rent is <b>due</b> monthly.</p><script>alert(1)</script></body></html>")
    assert title == "Lease & Terms"
    assert "secret" not in text and "color" not in text and "enable js" not in text
    assert "Rent is due monthly." in text


def test_headings_lists_tables_and_entities() -> None:
    text, _ = html_to_text(
        "<h1>Schedule</h1><ul><li>First&nbsp;item</li><li>Second</li></ul>"
        "<table><tr><th>Term</th><th>Rent</th></tr><tr><td>5 years</td><td>€1,200</td></tr>"
        "</table><p>a<br>b</p><pre>  keep   spacing</pre>")
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[:3] == ["# Schedule", "- First item", "- Second"]
    assert "Term | Rent" in lines and "5 years | €1,200" in lines
    assert "a\nb" in text and "  keep   spacing" in text


def test_broken_markup_keeps_what_was_read() -> None:
    text, _ = html_to_text("<div><p>unclosed <b>bold <i>text</div></p></b><p>more<")
    assert "unclosed bold text" in text and "more" in text


def test_declared_charset_is_used_when_not_utf8(tmp_path: Path) -> None:
    page = '<html><head><meta charset="shift_jis"></head><body><p>契約書</p></body></html>'
    path = tmp_path / "jp.html"
    path.write_bytes(page.encode("shift_jis"))
    assert "契約書" in extract_html(path).pages[0].text
    latin = "<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'>Loyer dû"
    assert decode_html(latin.encode("latin-1")).endswith("Loyer dû")


def test_html_document_type_and_title(tmp_path: Path) -> None:
    path = tmp_path / "memo.htm"
    path.write_text("<title>Board memo</title><p>Hello</p>", encoding="utf-8")
    doc = extract_html(path)
    assert (doc.type, doc.title, doc.pages[0].text) == ("html", "Board memo", "Hello\n")
