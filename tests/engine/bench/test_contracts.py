"""The contracts task: a data room made from a seed, its gold read back from the ingested
PDFs, and the answer and citation scores on hand-made answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bench import contracts, dataroom, scoring
from engine.bench.sample import sha256
from engine.rlm.citations import format_marker
from tests.support.bench_oracle import answer_from_text


@pytest.fixture
def room(tmp_path: Path) -> dataroom.Room:
    """Ingested inside each test, so the isolated home and keyring are in place."""
    return dataroom.open_room(tmp_path / "bench", "item", 7, 8192)


def test_a_seed_makes_the_same_room_and_another_seed_another() -> None:
    first = [contracts.generate(7, 8192, v) for v in contracts.VARIANTS]
    again = [contracts.generate(7, 8192, v) for v in contracts.VARIANTS]
    assert [sha256(s.context) for s in first] == [sha256(s.context) for s in again]
    assert [s.gold for s in first] == [s.gold for s in again]
    assert sha256(contracts.generate(8, 8192, "total").context) != sha256(first[0].context)


def test_the_room_has_one_conflicting_party_and_scanned_pages() -> None:
    room = contracts.make_room(7, 8192)
    laws: dict[str, set[str]] = {}
    for a in room:
        laws.setdefault(a.party, set()).add(a.law)
    assert sorted(len(v) for v in laws.values())[-2:] == [1, 2]
    assert {a.kind for a in room} == set(contracts.KINDS)
    assert any(None in a.pages for a in room)


@pytest.mark.parametrize("variant", contracts.VARIANTS)
def test_gold_is_read_back_from_the_ingested_text_alone(room: dataroom.Room,
                                                        variant: str) -> None:
    sample = contracts.generate(7, 8192, variant)
    answer = answer_from_text(room.text, sample.question)
    assert scoring.contracts(answer, sample.gold) == 1.0
    assert room.citation_score(answer, sample.gold) == 1.0


def test_the_stored_context_is_the_generated_one(room: dataroom.Room) -> None:
    """Ingesting the PDFs through the library gives back the text the gold was made from."""
    assert room.text == contracts.canonical(contracts.make_room(7, 8192))


def test_a_scanned_page_reaches_the_context_without_text(room: dataroom.Room) -> None:
    scanned = [a for a in contracts.make_room(7, 8192) if a.pages[-1] is None]
    assert scanned
    assert room.text.count("this page is a scanned image") == len(scanned)


def doc_of(room: dataroom.Room, name: str) -> int:
    return next(int(d["id"]) for d in room.prepared.documents
                if Path(str(d["path"])).name == name)


def test_the_scorer_on_hand_made_answers(room: dataroom.Room) -> None:
    sample = contracts.generate(7, 8192, "clause")
    gold = sample.gold
    (name, page), = gold["pages"]
    doc = doc_of(room, name)
    notice = gold["answer"]
    quote = f"terminate on {notice} days' written notice"
    good = format_marker(doc, page, quote)
    elsewhere = format_marker(doc, 1, "NON-DISCLOSURE AGREEMENT LEASE AGREEMENT SUPPLIER")
    first_page = room.text.split(f"--- doc {doc}, page 1 ---\n")[1].split("\n")
    cover = next(line for line in first_page if "Counterparty" in line)
    verified_off_gold = format_marker(doc, 1, cover)
    made_up = format_marker(doc, page, f"terminate on {notice + 1} days' written notice")
    assert scoring.contracts(f"{good}\nAnswer: {notice}", gold) == 1.0
    assert scoring.contracts(f"Answer: {notice + 1} {good}", gold) == 0.75
    assert room.citation_score(f"Answer: {notice} {good}", gold) == 1.0
    assert room.citation_score(f"Answer: {notice}", gold) == 0.0
    assert room.citation_score(f"Answer: {notice} {made_up}", gold) == 0.0
    assert room.citation_score(f"Answer: {notice} {verified_off_gold}", gold) == 0.0
    assert room.citation_score(f"{good} {verified_off_gold} Answer: {notice}", gold) == 0.5
    assert room.citation_score(f"{good} {elsewhere} Answer: {notice}", gold) == 0.5
    date = contracts.generate(7, 8192, "earliest").gold
    assert scoring.contracts(f"Answer: {date['answer']} {good}", date) == 1.0
    assert scoring.contracts("Answer: 1 January 2020", date) == 0.0


def test_citing_every_clause_of_the_room_scores_low(room: dataroom.Room) -> None:
    """Citing every governing-law clause to be sure to hit the gold ones is no way to win."""
    sample = contracts.generate(7, 8192, "conflict")
    agreements = contracts.make_room(7, 8192)
    every = " ".join(format_marker(doc_of(room, a.name), a.fact_pages["law"],
                                   f"governed by the laws of {a.law}.") for a in agreements)
    score = room.citation_score(f"{every}\nAnswer: {sample.gold['answer']}", sample.gold)
    assert score == pytest.approx(2 / len(agreements))
    assert score < 0.5
