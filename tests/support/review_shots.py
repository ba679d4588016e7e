"""The Review tab's screenshots: six generated leases, six questions, a helper model that
reads each lease as a careful one would (one answer it words badly, one call that fails),
taken while the grid fills and after, with an answer and its sources open beside it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

LEASES = [
    # title, landlord, tenant, rent, notice months, break fee, law, end date
    ("Lease - 14 Harbour Street", "Northwind Holdings Ltd", "Acme Analytics GmbH",
     "EUR 12,400", 6, True, "English", "31 December 2031"),
    ("Lease - Docklands Unit 7", "Riverside Estates plc", "Acme Logistics Ltd",
     "GBP 8,950", 3, False, "English", "30 June 2029"),
    ("Lease - Königsallee 21", "Rhein Immobilien AG", "Acme Analytics GmbH",
     "EUR 21,000", 12, True, "German", "31 March 2033"),
    ("Lease - 400 Park Avenue, fl. 12", "Park Avenue Owner LLC", "Acme Inc.",
     "USD 48,500", 9, True, "New York", "31 January 2030"),
    ("Lease - Canal Road storage", "Canal Road Storage Ltd", "Acme Logistics Ltd",
     "GBP 1,150", 1, False, "Scots", "14 February 2027"),
    ("Lease - Leopoldstraße 8", "Isar Grund GmbH", "Acme Analytics GmbH",
     "EUR 9,300", 6, False, "German", "30 September 2028"),
]
QUESTIONS = [
    {"question": "Who is the landlord?", "kind": "text", "name": "Landlord"},
    {"question": "What is the monthly rent?", "kind": "money", "name": "Monthly rent"},
    {"question": "How many months' notice does the tenant need to give to end the lease?",
     "kind": "number", "name": "Notice (months)"},
    {"question": "Is there a break fee for ending the lease early?", "kind": "yesno",
     "name": "Break fee"},
    {"question": "Which law governs the lease?", "kind": "choice",
     "choices": ["English", "German", "New York"], "name": "Governing law"},
    {"question": "When does the term end?", "kind": "date", "name": "Term ends"},
]


def lease_pages(lease: tuple[Any, ...]) -> list[str]:
    title, landlord, tenant, rent, notice, fee, law, end = lease
    fee_text = ("Early termination by the Tenant requires a break fee of three monthly rents."
                if fee else "The Tenant may end this Lease without any fee.")
    return [
        f"{title.upper()}. This Lease is made between {landlord} (the Landlord) and "
        f"{tenant} (the Tenant).",
        f"2. RENT. The Tenant shall pay a monthly rent of {rent}, payable in advance.",
        f"7. TERMINATION. The Tenant may terminate this Lease with {notice} months' written "
        f"notice. {fee_text} 9. The term ends on {end}. 12. This Lease is governed by {law} "
        "law.",
    ]


def make_leases(folder: Path) -> None:
    import pymupdf

    folder.mkdir(parents=True)
    for lease in LEASES:
        doc = pymupdf.open()
        for text in lease_pages(lease):
            page = doc.new_page()
            page.insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=11)
        doc.set_metadata({"title": lease[0]})
        doc.save(folder / f"{lease[0]}.pdf")
        doc.close()


def _page_of(text: str, words: str) -> int:
    """The page (as the prompt's markers number them) whose text holds ``words``."""
    page = 1
    for part in re.split(r"=== page (\d+)", text)[1:]:
        if part.isdigit():
            page = int(part)
        elif words in " ".join(part.split()):
            return page
    return 1


def review_reply(request: Any) -> Any:
    """A helper that answers a review cell from the lease in its prompt."""
    from tests.support.fake_openai import Reply

    text = request.last_user
    question = text.split("Question:")[-1].split("\n")[0]
    lease = next((item for item in LEASES if f"Document: {item[0]}" in text), None)
    if lease is None:
        return Reply(content="ANSWER: NOT STATED\nEXPLANATION: This is not a lease.",
                     latency=0.25)
    title, landlord, _tenant, rent, notice, fee, law, end = lease
    if "Docklands" in title and "term end" in question:
        return Reply(fault="500")
    if "landlord" in question:
        answer, quote = landlord, f"between {landlord} (the Landlord)"
    elif "rent" in question:
        answer, quote = rent, f"monthly rent of {rent}"
    elif "notice" in question:
        answer, quote = str(notice), f"{notice} months' written notice"
    elif "break fee" in question:
        answer = "Yes" if fee else "No"
        quote = "break fee of three monthly rents" if fee else "without any fee"
    elif "law" in question:
        answer, quote = (f"{law} law" if law != "Scots" else "Scottish law applies"), \
            f"governed by {law} law"
    else:
        answer, quote = end, f"The term ends on {end}"
    page = _page_of(text, quote)
    return Reply(content=f'ANSWER: {answer}\nEXPLANATION: The lease says so on page {page}.'
                         f'\nQUOTES:\n- page {page}: "{quote}"', latency=0.25,
                 prompt_tokens=1400, completion_tokens=60)


def review_shots(app: Any, window: Any, server: Any, tmp: Path, out: Path,
                 suffix: str) -> list[str]:
    """Add the leases, review them from the Review tab, and grab it twice."""
    from tests.support.screenshots import settle, wait

    before = server.script
    server.set_script(lambda request: review_reply(request)
                      if "=== end of document ===" in request.last_user else before(request))
    done: list[Any] = []
    window.library.ingest_finished.connect(done.append)
    make_leases(tmp / "Leases")
    window.library._create_collection("Leases")
    wait(app, lambda: window.library.current_collection() == "Leases", 60)
    window.library.add_paths([str(tmp / "Leases")])
    wait(app, lambda: bool(done) and window.library.document_count() == len(LEASES), 120)
    window.review.show_review()
    panel = window.review.panel
    panel.add_questions([dict(q) for q in QUESTIONS])
    panel.start()
    wait(app, lambda: len(panel.model.cells) >= 14, 120)
    settle(app, 0.3)
    window.grab().save(str(out / f"review-running{suffix}.png"))
    wait(app, lambda: not panel.running and bool(panel.last_outcome), 120)
    settle(app, 0.8)
    rows, columns = panel.model.rows, panel.model.columns
    flagged = next(r for r in rows if "Canal" in r.title)
    panel.select(flagged.id, columns[4].id)
    panel.pane.flagged.click()
    for row in rows[:3]:
        panel.select(row.id, columns[1].id)
        panel.pane.reviewed.click()
    panel.select(flagged.id, columns[4].id)
    settle(app, 0.8)
    panel.pane.open_source(0)
    wait(app, lambda: window.viewer.mode == "pdf", 60)
    settle(app, 0.8)
    window.grab().save(str(out / f"review{suffix}.png"))
    server.set_script(before)
    return ["review-running", "review"]
