"""The ``page_text`` command: a page's stored text and printed label, for the source viewer."""

from __future__ import annotations

from pathlib import Path

from tests.engine.ingest.makers import make_pdf
from tests.engine.worker.harness import WorkerProcess


def test_page_text_gives_the_stored_page_and_its_label(worker: WorkerProcess,
                                                       tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "brief.pdf", ["Cover page", "Rent is due <b>monthly</b>.",
                                            "Last page"],
                   labels=[{"startpage": 0, "prefix": "", "style": "r", "firstpagenum": 1},
                           {"startpage": 1, "prefix": "", "style": "D", "firstpagenum": 235}])
    assert worker.call("ingest", {"paths": [str(pdf)], "collection": "c"}).result["ingested"]
    doc = worker.call("documents", {"collection": "c"}).result[0]
    assert doc["size"] == pdf.stat().st_size and doc["mtime_ns"] == pdf.stat().st_mtime_ns
    page = worker.call("page_text", {"doc_id": doc["id"], "page": 2}).result
    assert page["found"] and page["label"] == "235" and page["pages"] == 3
    assert "Rent is due <b>monthly</b>." in page["text"]
    beyond = worker.call("page_text", {"doc_id": doc["id"], "page": 9}).result
    assert not beyond["found"] and beyond["text"] == ""


def test_page_text_refuses_bad_arguments_and_unknown_documents(worker: WorkerProcess) -> None:
    for args in ({"doc_id": "1", "page": 1}, {"doc_id": 1, "page": 0}, {"doc_id": 1},
                 {"doc_id": True, "page": 1}):
        reply = worker.call("page_text", args)
        assert not reply.ok and reply.line["kind"] == "usage", args
    missing = worker.call("page_text", {"doc_id": 999_999, "page": 1})
    assert not missing.ok and "no document 999999" in missing.line["error"]
