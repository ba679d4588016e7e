"""The worker process over its pipes: hello, bad lines, the library, ingest and its cancel."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.engine.worker.harness import WorkerProcess
from tests.support.harness import write_docs


def test_ready_hello_and_end_of_input(isolated_environment: Path) -> None:
    process = WorkerProcess()
    assert process.ready["ready"]["protocol"] == 1
    assert process.ready["ready"]["pid"] == process.proc.pid
    hello = process.call("hello").result
    assert hello["pid"] == process.proc.pid and hello["version"]
    assert hello["store"].startswith(str(isolated_environment))
    assert hello["data_dir"].startswith(str(isolated_environment))
    assert "usable" in hello["keyring"]
    assert process.close() == 0
    assert all(raw.endswith(b"\n") for raw in process.raw)


def test_bad_lines_get_error_replies_and_never_kill_the_worker(worker: WorkerProcess) -> None:
    worker.send_raw("this is not json")
    assert worker.wait(None).line["kind"] == "usage"
    worker.send_raw('["a", "list"]')
    assert worker.wait(None).line["kind"] == "usage"
    worker.send_raw('{"cmd": "hello"}')                       # no id
    reply = worker.wait(None).line
    assert reply["ok"] is False and "id" in reply["error"]
    worker.send_raw('{"id": 41, "cmd": "no_such_command"}')
    reply = worker.wait(41).line
    assert reply["kind"] == "usage" and "collections" in reply["error"]
    worker.send_raw('{"id": 42, "cmd": "documents", "args": [1]}')
    assert worker.wait(42).line["kind"] == "usage"
    bad = worker.call("ingest", {"paths": "not a list"})
    assert bad.line["kind"] == "usage" and "paths" in bad.line["error"]
    missing = worker.call("documents", {"collection": "nope"})
    assert missing.line["kind"] == "config" and "no collection named 'nope'" in \
        missing.line["error"]
    assert worker.call("hello").ok                               # still serving


def test_collections_ingest_with_events_then_documents(worker: WorkerProcess,
                                                       tmp_path: Path) -> None:
    assert worker.call("collections").result == []
    assert worker.call("create_collection", {"name": "Cases"}).result == {"name": "Cases"}
    docs = write_docs(tmp_path / "docs")
    (docs / "notes.bin").write_bytes(b"\x00\x01")
    reply = worker.call("ingest", {"paths": [str(docs)], "collection": "cases",
                                   "password": None, "include": [], "exclude": []})
    result = reply.result
    assert result["ingested"] == 3 and result["cancelled"] is False
    types = reply.types()
    assert types[0] == "ingest_started" and types[-1] == "ingest_finished"
    assert types.count("file_done") == 3
    listed = worker.call("documents", {"collection": "cases"}).result
    assert sorted(Path(d["path"]).name for d in listed) == ["alpha.txt", "beta.txt",
                                                           "gamma.txt"]
    first = listed[0]
    assert {"id", "title", "tokens", "warnings", "added_at", "status"} <= set(first)
    collections = worker.call("collections").result
    assert collections[0]["name"] == "Cases" and collections[0]["documents"] == 3
    assert collections[0]["sources"] == [str(docs)]
    removed = worker.call("remove_documents", {"ids": [first["id"]]}).result
    assert removed == {"removed": 1}
    # Re-scan walks the remembered folder again: the removed file comes back.
    again = worker.call("rescan", {"collection": "cases", "prune": False})
    assert again.result["ingested"] == 1 and again.result["unchanged"] == 2
    assert worker.call("delete_collection", {"name": "cases"}).result == {"deleted": 3}
    assert worker.call("collections").result == []
    assert (docs / "alpha.txt").exists()                        # files are never touched


def test_an_ingest_can_be_cancelled_and_a_second_into_the_same_collection_is_busy(
        worker: WorkerProcess, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(4000):
        (folder / f"note{i:04d}.txt").write_text(f"note number {i}\n", encoding="utf-8")
    ingest_id = worker.send("ingest", {"paths": [str(folder)], "collection": "big"})
    cancelled_at: list[float] = []
    busy: list[dict[str, object]] = []

    def on_event(event: dict[str, object]) -> None:
        if event["type"] == "file_done" and not cancelled_at:
            busy.append(worker.call("ingest", {"paths": [str(folder)],
                                               "collection": "BIG"}).line)
            cancel = worker.call("cancel", {"target": ingest_id})
            assert cancel.result == {"cancelled": True}
            cancelled_at.append(time.monotonic())

    reply = worker.wait(ingest_id, on_event=on_event)
    assert time.monotonic() - cancelled_at[0] < 2.0
    assert reply.result["cancelled"] is True
    assert reply.events[-1]["type"] == "ingest_finished" and reply.events[-1]["cancelled"]
    assert 0 < reply.result["ingested"] < 4000
    assert busy[0]["kind"] == "busy"
    stored = worker.call("documents", {"collection": "big"}).result
    assert len(stored) == reply.result["ingested"]
    assert worker.call("cancel", {"target": ingest_id}).result == {"cancelled": False}


def test_shutdown_replies_then_exits(isolated_environment: Path) -> None:
    process = WorkerProcess()
    reply = process.call("shutdown")
    assert reply.result == {}
    assert process.proc.wait(10) == 0
    process.close()


def test_every_line_is_one_json_object(worker: WorkerProcess, tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    ids = [worker.send("ingest", {"paths": [str(docs)], "collection": f"c{i}"})
           for i in range(3)]
    for request_id in ids:
        assert worker.wait(request_id).ok
    for raw in worker.raw:
        assert isinstance(json.loads(raw), dict)


def test_rescan_notices_a_vanished_source_and_prune_forgets_it(worker: WorkerProcess,
                                                               tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    single = tmp_path / "single.txt"
    single.write_text("one file on its own\n", encoding="utf-8")
    assert worker.call("ingest", {"paths": [str(docs), str(single)],
                                  "collection": "c"}).result["ingested"] == 4
    assert worker.call("rescan", {"collection": "c"}).result["unchanged"] == 4
    single.unlink()
    (docs / "beta.txt").unlink()
    kept = worker.call("rescan", {"collection": "c", "prune": False})
    assert kept.result["missing_sources"] == [str(single)]
    assert sorted(Path(p).name for p in kept.result["missing"]) == ["beta.txt", "single.txt"]
    assert [e["type"] for e in kept.events].count("file_missing") == 2
    statuses = {Path(d["path"]).name: d["status"]
                for d in worker.call("documents", {"collection": "c"}).result}
    assert statuses["single.txt"] == "missing" and statuses["beta.txt"] == "missing"
    pruned = worker.call("rescan", {"collection": "c", "prune": True}).result
    assert pruned["pruned"] == 2
    names = sorted(Path(d["path"]).name
                   for d in worker.call("documents", {"collection": "c"}).result)
    assert names == ["alpha.txt", "gamma.txt"]
    assert worker.call("collections").result[0]["sources"] == [str(docs)]
    nothing = worker.call("rescan", {"collection": "fresh"})
    assert nothing.line["kind"] == "config"
    worker.call("create_collection", {"name": "fresh"})
    empty = worker.call("rescan", {"collection": "fresh"})
    assert empty.line["kind"] == "config" and "no remembered" in empty.line["error"]


def test_documents_by_id_across_collections(worker: WorkerProcess, tmp_path: Path) -> None:
    first = write_docs(tmp_path / "one")
    worker.call("ingest", {"paths": [str(first / "alpha.txt")], "collection": "one"})
    worker.call("ingest", {"paths": [str(first / "beta.txt")], "collection": "two"})
    alpha = worker.call("documents", {"collection": "one"}).result[0]
    beta = worker.call("documents", {"collection": "two"}).result[0]
    found = worker.call("documents", {"ids": [beta["id"], alpha["id"], 999_999]}).result
    assert [d["id"] for d in found] == [beta["id"], alpha["id"]]
    assert Path(found[1]["path"]).name == "alpha.txt"
    assert worker.call("documents", {"collection": "two", "ids": [alpha["id"]]}).result == []
    assert worker.call("documents", {"ids": "1"}).line["kind"] == "usage"


def test_ingest_with_force_reads_unchanged_files_again(worker: WorkerProcess,
                                                       tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    args = {"paths": [str(docs / "alpha.txt")], "collection": "c"}
    assert worker.call("ingest", args).result["ingested"] == 1
    assert worker.call("ingest", args).result["unchanged"] == 1
    again = worker.call("ingest", {**args, "force": True}).result
    assert again["unchanged"] == 0 and again["failed"] == []
