"""The contracts task (our users' case): a data room of generated PDF agreements, ingested
through the library, with questions on one clause, on every document, or on a pair of them;
the answer is scored, and so are its citations (verified quote on a gold page)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from engine.bench import grammar
from engine.bench.sample import Sample, target_chars
from engine.context_format import Page, SourceDocument, build_context
from engine.rlm.verify import CitationStatus, PageIndex, check_citations
from engine.store.pagekinds import NO_TEXT_OCR, PLACEHOLDERS

VARIANTS = ("clause", "total", "count", "earliest", "conflict")
KINDS = {"lease": "LEASE AGREEMENT", "nda": "NON-DISCLOSURE AGREEMENT",
         "supplier": "SUPPLIER AGREEMENT"}
NAMES = {"lease": "lease", "nda": "non-disclosure agreement", "supplier": "supplier agreement"}
LAWS = ("England and Wales", "Scotland", "Ireland", "the Netherlands", "Delaware", "New York",
        "Ontario")
FIRST = ("Fenwick", "Harbor", "Alder", "Corvid", "Marlow", "Quill", "Tamsin", "Brackley",
         "Oriel", "Penrose", "Sable", "Wexford", "Linden", "Calder", "Dunmore", "Ashby")
SECOND = ("Logistics", "Foods", "Robotics", "Textiles", "Analytics", "Freight", "Ceramics",
          "Optics", "Holdings", "Works", "Labs", "Trading")
SUFFIX = ("Ltd", "BV", "Inc", "GmbH", "plc", "LLC")
COMPANY = "Northwind Holdings Ltd"
LINE_CHARS = 84
PAGE_LINES = 44
DOC_CHARS = 4000            # about this many characters of text per agreement
OVERHEAD_CHARS = 640        # of which headers, cover and clauses (the rest is boilerplate)


@dataclass(frozen=True)
class Agreement:
    """One generated agreement: its facts, and its pages (None: a scanned-style page)."""

    name: str                   # the PDF's file name
    kind: str                   # lease, nda, supplier
    party: str
    law: str
    expiry: date
    notice_days: int
    amount: int                 # annual rent (lease) or fee (supplier); 0 for an NDA
    pages: tuple[str | None, ...]
    fact_pages: dict[str, int]  # fact -> 1-based page it is stated on


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def when(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _lines(sentences: list[str]) -> list[str]:
    lines: list[str] = []
    current = ""
    for sentence in sentences:
        for word in sentence.split():
            if current and len(current) + 1 + len(word) > LINE_CHARS:
                lines.append(current)
                current = ""
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def _agreement(rng: random.Random, index: int, kind: str, party: str, law: str,
               chars: int) -> Agreement:
    expiry = date(2026, 1, 1) + timedelta(days=rng.randrange(6 * 365))
    notice = rng.choice((30, 45, 60, 90, 120, 180))
    amount = rng.randrange(12, 400) * 1000 if kind != "nda" else 0
    sections = rng.sample(range(2, 15), 4)
    facts = {
        "expiry": f"Clause {sections[0]}.1 Term. This agreement expires on {when(expiry)}.",
        "notice": (f"Clause {sections[1]}.2 Termination. Either party may terminate on "
                   f"{notice} days' written notice."),
        "law": (f"Clause {sections[2]}.1 Governing law. This agreement is governed by the laws "
                f"of {law}."),
    }
    if kind == "lease":
        facts["amount"] = f"Clause {sections[3]}.3 Rent. The annual rent is {amount:,} EUR."
    elif kind == "supplier":
        facts["amount"] = f"Clause {sections[3]}.3 Fees. The annual fee is {amount:,} EUR."
    cover = [KINDS[kind], f"Between {COMPANY} (the Company)", f"and {party} (the "
             "Counterparty)", f"Reference: NW-{rng.randrange(10_000, 99_999)}"]
    body = grammar.filler(rng, chars)
    split = len(body) // 2
    # the facts go at random places in the two text pages after the cover's few lines
    spots = {fact: rng.randrange(2) for fact in facts}
    texts: list[list[str]] = [cover + _lines(body[:split // 2]), _lines(body[split // 2:split]),
                              _lines(body[split:])]
    texts = [lines[:PAGE_LINES - len(facts)] for lines in texts]
    fact_pages: dict[str, int] = {}
    for fact, sentence in facts.items():
        page = 1 + spots[fact]
        lines = texts[page]
        lines.insert(rng.randrange(len(lines) + 1), sentence)
        fact_pages[fact] = page + 1
    pages: list[str | None] = ["\n".join(lines) for lines in texts]
    if rng.random() < 0.6:  # a signature page scanned without a text layer
        pages.append(None)
    return Agreement(f"{index:04d}-{kind}-{party.split()[0].lower()}.pdf", kind, party, law,
                     expiry, notice, amount, tuple(pages), fact_pages)


def make_room(seed: int, tokens: int) -> list[Agreement]:
    """The data room for ``seed`` at about ``tokens`` tokens: one party holds two agreements
    under different laws, every other party one."""
    rng = random.Random(f"contracts/{seed}/{tokens}")
    count = max(6, target_chars(tokens) // DOC_CHARS)
    filler = target_chars(tokens) // count - OVERHEAD_CHARS
    parties: list[str] = []
    while len(parties) < min(count - 1, len(FIRST) * len(SECOND)):
        party = f"{rng.choice(FIRST)} {rng.choice(SECOND)} {rng.choice(SUFFIX)}"
        if party.rsplit(" ", 1)[0] not in {p.rsplit(" ", 1)[0] for p in parties}:
            parties.append(party)
    kinds = ["lease", "nda", "supplier"] + [rng.choice(list(KINDS))
                                             for _ in range(count - 3)]
    rng.shuffle(kinds)
    conflicted = rng.choice(parties)
    # a room larger than the names: the others hold more agreements, under one law each
    owners = parties + [conflicted] + [parties[i % len(parties)]
                                       for i in range(count - len(parties) - 1)]
    room: list[Agreement] = []
    for index, (kind, party) in enumerate(zip(kinds, owners, strict=True)):
        before = [a.law for a in room if a.party == party]
        if before and party != conflicted:
            law = before[0]
        else:
            law = rng.choice([law for law in LAWS if law not in before])
        room.append(_agreement(rng, index, kind, party, law, filler))
    return room


def title(a: Agreement) -> str:
    return f"{KINDS[a.kind].title()} with {a.party}"


def canonical(room: list[Agreement]) -> str:
    """The room as the library's context shows it when ingested in file order without OCR
    (what its hash is taken of, and what ``rlm bench context`` prints)."""
    return build_context([SourceDocument(doc_id, title(a), a.name, "pdf", [
        Page(n, text if text is not None else PLACEHOLDERS[NO_TEXT_OCR])
        for n, text in enumerate(a.pages, 1)]) for doc_id, a in enumerate(room, 1)])[0]


def generate(seed: int, tokens: int, variant: str) -> Sample:
    """A data room and one question of ``variant`` whose gold comes from the room's facts;
    gold is {"answer": ..., "pages": [[file name, page], ...]}."""
    room = make_room(seed, tokens)
    rng = random.Random(f"contracts-q/{seed}/{tokens}/{variant}")
    counts: dict[str, int] = {}
    for a in room:
        counts[a.party] = counts.get(a.party, 0) + 1
    answer: Any
    if variant == "clause":
        a = rng.choice([a for a in room if sum(1 for b in room if (b.party, b.kind) ==
                                                (a.party, a.kind)) == 1])
        question = (f"What is the notice period, in days, in the {NAMES[a.kind]} with "
                    f"{a.party}?")
        answer, cited = a.notice_days, [(a, "notice")]
    elif variant == "total":
        leases = [a for a in room if a.kind == "lease"]
        question = "What is the total annual rent, in EUR, over all leases in the data room?"
        answer, cited = sum(a.amount for a in leases), [(a, "amount") for a in leases]
    elif variant == "count":
        law = rng.choice(sorted({a.law for a in room if a.kind == "nda"}))
        ndas = [a for a in room if a.kind == "nda" and a.law == law]
        question = f"How many non-disclosure agreements are governed by the laws of {law}?"
        answer, cited = len(ndas), [(a, "law") for a in ndas]
    elif variant == "earliest":
        first = min(room, key=lambda a: a.expiry)
        question = ("What is the earliest expiry date of any agreement in the data room? "
                    "Give the date as written there, like 4 March 2027.")
        answer, cited = when(first.expiry), [(first, "expiry")]
    elif variant == "conflict":
        party = next(p for p, n in counts.items() if n > 1)
        question = ("Which counterparty has two agreements that name different governing "
                    "laws? Give its name as written.")
        answer, cited = party, [(a, "law") for a in room if a.party == party]
    else:
        raise ValueError(f"no contracts variant {variant!r}")
    question += " End with 'Answer: ' and the answer, and cite the clauses you used."
    gold = {"answer": answer, "pages": [[a.name, a.fact_pages[fact]] for a, fact in cited]}
    return Sample(canonical(room), question, gold, variant, variant)


def citation_score(answer: str, gold: dict[str, Any], index: PageIndex) -> float:
    """The share of the answer's citations whose quote is verified on a gold page (0 when it
    cites nothing)."""
    checked = check_citations(answer, index)
    if not checked:
        return 0.0
    wanted = {(name, page) for name, page in gold["pages"]}
    good = sum(1 for c in checked if c.status == CitationStatus.VERIFIED
               and (Path(c.path or "").name, c.page) in wanted)
    return good / len(checked)


def _scan(pymupdf: Any, party: str) -> Any:
    """A signature page as a scanner makes it: a picture of the page, no text layer."""
    source = pymupdf.open()
    page = source.new_page()
    page.insert_text((72, 200), f"Signed for {party}", fontsize=24)
    page.draw_line((72, 260), (320, 240), color=(0, 0, 0.5), width=2)
    pixmap = page.get_pixmap(dpi=40)
    source.close()
    return pixmap


def write_pdfs(room: list[Agreement], folder: Path) -> list[Path]:
    """The room's agreements as PDFs in ``folder``."""
    import pymupdf

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in room:
        path = folder / a.name
        paths.append(path)
        if path.exists():
            continue
        doc = pymupdf.open()
        for text in a.pages:
            page = doc.new_page()
            if text is None:
                page.insert_image(page.rect, pixmap=_scan(pymupdf, a.party))
                continue
            y = 60.0
            for line in text.split("\n"):
                page.insert_text((60, y), line, fontsize=10)
                y += 15
        doc.set_metadata({"title": title(a)})
        temp = path.with_suffix(".part")
        doc.save(temp)
        doc.close()
        temp.replace(path)
    return paths
