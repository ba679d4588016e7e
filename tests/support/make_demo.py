"""Make the app's demo (resources/demo): three small generated documents and a real recorded run.

    python -m tests.support.make_demo resources/demo

The documents (a lease, an amendment, a letter; fictional names) are drawn with PyMuPDF, with
printed page numbers in the lease's footers. The run is the real engine (``rlm ask``: ingest,
the safe workspace, citation checks) against the scripted fake model server on 127.0.0.1, in
temporary home and data folders; its record (the trajectory log) becomes ``run.jsonl``, with
the temporary folder's path replaced by ``demo``. Running it again gives the same documents
byte for byte and the same record apart from run ids, times and durations.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAIN_MODEL, HELPER_MODEL = "demo-main-model", "demo-helper-model"
COLLECTION = "Demo"
QUESTION = "Did the tenant give enough notice to end the lease on 1 March 2026?"

LANDLORD, TENANT = "Alder & Finch Properties Ltd", "Juniper Lane Bakery Ltd"
PREMISES = "Unit 4, Millbrook Yard, 22 Quarry Road"

# Each document: its title (PDF metadata), and its pages as (body, footer).
DOCUMENTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "lease.pdf": ("Commercial Lease – Unit 4, Millbrook Yard", [
        ("COMMERCIAL LEASE\n\n"
         f"{PREMISES}\n\n"
         f"between {LANDLORD} (the Landlord)\n"
         f"and {TENANT} (the Tenant)\n\n"
         "Dated 3 February 2025", ""),
        ("1. TERM\n"
         "The term of this Lease is five (5) years from 1 March 2025.\n\n"
         "2. RENT\n"
         "The Tenant shall pay a yearly rent of £48,000 by equal monthly payments of £4,000 "
         "in advance on the first day of each month.\n\n"
         "3. USE\n"
         "The Tenant shall use the premises as a bakery with a retail counter and for no "
         "other purpose without the Landlord's written consent.", "Page 1"),
        ("7. REPAIRS\n"
         "The Tenant shall keep the interior of the premises in good repair. The Landlord "
         "shall keep the roof, the structure and the shared yard in good repair.\n\n"
         "9. LIABILITY\n"
         "The Landlord's total liability under this Lease shall not exceed £25,000 in any "
         "lease year.", "Page 2"),
        ("14. TERMINATION\n"
         "14.1 The Tenant may end this Lease on any anniversary of the date on which the "
         "term began.\n"
         "14.2 The Tenant must give the Landlord not less than sixty (60) days' written "
         "notice before the date on which it wishes to end this Lease.\n"
         "14.3 Notice must be sent to the Landlord's registered office.\n\n"
         f"Signed for {LANDLORD}: M. Alder, Director\n"
         f"Signed for {TENANT}: R. Okafor, Director", "Page 3"),
    ]),
    "amendment.pdf": ("First Amendment to the Lease of Unit 4, Millbrook Yard", [
        ("FIRST AMENDMENT TO LEASE\n\n"
         f"Dated 10 June 2025, between {LANDLORD} (the Landlord) and {TENANT} (the Tenant), "
         f"amending the Lease of {PREMISES} dated 3 February 2025.\n\n"
         "1. Clause 14.2 of the Lease is replaced by: The Tenant must give the Landlord not "
         "less than ninety (90) days' written notice before the date on which it wishes to "
         "end this Lease.\n\n"
         "2. The rent in clause 2 of the Lease is unchanged.", "Page 1 of 2"),
        ("3. All other terms of the Lease remain in full force.\n\n"
         f"Signed for {LANDLORD}: M. Alder, Director\n"
         f"Signed for {TENANT}: R. Okafor, Director", "Page 2 of 2"),
    ]),
    "letter.pdf": ("Letter from Juniper Lane Bakery, 14 November 2025", [
        (f"{TENANT}\n"
         "8 Orchard Row, Millbrook\n\n"
         "14 November 2025\n\n"
         f"{LANDLORD}\n"
         "Registered office: 5 Castle Street, Millbrook\n\n"
         f"Re: Lease of {PREMISES}\n\n"
         "Dear Ms Alder,\n\n"
         "Under clause 14 of the Lease, we give you notice that we wish to end the Lease on "
         "1 March 2026. We will return the keys on that day.\n\n"
         "Yours sincerely,\n"
         "R. Okafor, Director", ""),
    ]),
}

EXPLORE = '''I'll start by seeing which documents there are and how long each is.

```repl
for d in documents:
    print(f"{d['title']}: {len(d['pages'])} pages")
```'''

READ = '''I'll ask a helper model to read each document for notice periods and dates.

```repl
notes = llm_query_batched([
    f"{d['title']}: what does it say about giving notice to end the lease, and on which "
    "dates? Quote the exact words.\\n\\n" + context[d["start"]:d["end"]] for d in documents])
for d, note in zip(documents, notes):
    print(d["title"], "->", note)
```'''

CHECK = '''Before I cite them, I'll check where these words are printed.

```repl
for words in ["sixty (60) days' written notice", "ninety (90) days' written notice",
              "end the Lease on 1 March 2026", "five (5) years from 1 March 2025"]:
    print(words, "->", [(h["title"], "p. " + (h["label"] or str(h["page"])))
                        for h in locate(words)])
```'''

ANSWER = '''The amendment replaced the notice period, and the letter came in time.

```repl
def doc(start):
    return next(d["id"] for d in documents if d["title"].startswith(start))
lease, amendment, letter = doc("Commercial Lease"), doc("First Amendment"), doc("Letter")
answer = f"""**Yes.** The tenant gave 107 days' notice, and 90 days were needed.

- The lease first asked for **sixty days'** written notice \\
{cite(lease, 4, "not less than sixty (60) days' written notice")}.
- The First Amendment of 10 June 2025 raised this to **ninety days** \\
{cite(amendment, 1, "not less than ninety (90) days' written notice")}.
- The tenant's letter of **14 November 2025** asks to end the lease on **1 March 2026** \\
{cite(letter, 1, "end the Lease on 1 March 2026")}, 107 days later.
- 1 March 2026 is an anniversary of the start of the term, as clause 14.1 requires: the \\
term began on 1 March 2025 {cite(lease, 3, "five (5) years from 1 March 2025")}.
"""
FINAL(answer)
```'''

# What the helper model answers, by the document it was given (a word found in its text).
HELPER_NOTES = {
    "FIRST AMENDMENT": ("Clause 14.2 is replaced: the Tenant must give \"not less than ninety "
                        "(90) days' written notice\". Dated 10 June 2025."),
    "COMMERCIAL LEASE": ("Clause 14.2: \"not less than sixty (60) days' written notice\"; "
                         "clause 14.1: the lease may end on any anniversary of the start, "
                         "and the term runs \"five (5) years from 1 March 2025\"."),
    "Dear Ms Alder": ("Dated 14 November 2025: \"we wish to end the Lease on 1 March 2026\"."),
}


def make_documents(folder: Path) -> list[Path]:
    """Draw the demo's PDFs into ``folder``; the same bytes every time."""
    import pymupdf

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, (title, pages) in DOCUMENTS.items():
        doc = pymupdf.open()
        for body, footer in pages:
            page = doc.new_page(width=595, height=842)   # A4
            page.insert_textbox(pymupdf.Rect(72, 80, 523, 740), body, fontsize=11,
                                fontname="helv")
            if footer:
                page.insert_textbox(pymupdf.Rect(72, 780, 523, 800), footer, fontsize=9,
                                    fontname="helv", align=pymupdf.TEXT_ALIGN_CENTER)
        doc.set_metadata({"title": title, "author": "RLM Desktop demo", "creator": "",
                          "producer": "", "creationDate": "", "modDate": ""})
        path = folder / name
        doc.save(path, garbage=3, deflate=True, no_new_id=True)
        doc.close()
        made.append(path)
    return made


def scripts() -> Any:
    from tests.support.fake_openai import ChatRequest, Reply, by_model, sequence

    def helper(request: ChatRequest) -> Reply:
        prompt = request.last_user
        note = next((text for key, text in HELPER_NOTES.items() if key in prompt),
                    "Nothing about notice in this document.")
        return Reply(content=note)

    return by_model({MAIN_MODEL: sequence(EXPLORE, READ, CHECK, ANSWER), HELPER_MODEL: helper})


def record(documents: Path, work: Path) -> Path:
    """Run the question over ``documents`` with the real engine; the record's path."""
    from engine.cli.main import main
    from tests.support.fake_openai import FakeOpenAI

    prices = work / "prices.json"
    # The scripted models cost nothing: the demo shows $0.00 rather than an invented price.
    prices.write_text(json.dumps({MAIN_MODEL: {"input": 0, "output": 0},
                                  HELPER_MODEL: {"input": 0, "output": 0}}), encoding="utf-8")
    log = work / "run.jsonl"
    # One file at a time, so that the library numbers them the same way every time.
    for name in DOCUMENTS:
        if main(["ingest", str(documents / name), "--collection", COLLECTION, "-q"]) != 0:
            raise SystemExit(f"the demo's {name} could not be read; see the messages above")
    with FakeOpenAI(scripts(), models=[MAIN_MODEL, HELPER_MODEL]) as server:
        code = main(["ask", QUESTION, "--collection", COLLECTION, "--base-url", server.base_url,
                     "--model", MAIN_MODEL, "--sub-model", HELPER_MODEL,
                     "--prices", str(prices), "--log", str(log), "-q"])
    if code != 0:
        raise SystemExit(f"the demo run failed (exit code {code}); see the messages above")
    return log


def check(log: Path) -> list[str]:
    """What the record must show (the statuses the demo explains); empty when all is there."""
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
    cites = [c for row in rows if row.get("type") == "answer_citations"
             for c in row.get("citations", [])]
    statuses = [c.get("status") for c in cites]
    problems = []
    if statuses.count("verified") < 3 or "relocated" not in statuses:
        problems.append(f"expected three checked quotes and one corrected page, got {statuses}")
    finished = [row for row in rows if row.get("type") == "run_finished" and not row["depth"]]
    if not finished or finished[0].get("stop_reason") != "answered":
        problems.append("the run did not end with an answer")
    return problems


def portable(log: Path, folder: Path) -> str:
    """The record without this machine's paths: the documents' folder becomes ``demo``, and
    the safe workspace's list of readable folders and its process id are left out."""
    lines = []
    for line in log.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("type") == "sandbox_status":
            for name in ("read_allowed", "pid"):
                row["status"].pop(name, None)
        lines.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(lines).replace(json.dumps(str(folder))[1:-1], "demo") + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the demo folder (resources/demo)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rlm-demo-"))
    try:
        from tests.benchmarks.bench_gui_stall import isolate
        isolate(work / "home")
        os.environ.pop("OPENAI_API_KEY", None)
        documents = work / "demo" / "documents"
        make_documents(documents)
        log = record(documents, work)
        problems = check(log)
        if problems:
            raise SystemExit("the demo run is not what the demo shows: " + "; ".join(problems))
        out_docs = args.out / "documents"
        if out_docs.exists():
            shutil.rmtree(out_docs)
        shutil.copytree(documents, out_docs)
        (args.out / "run.jsonl").write_text(portable(log, work / "demo"), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {args.out / 'documents'} and {args.out / 'run.jsonl'}")


if __name__ == "__main__":
    main()
