"""Citations benchmark (run on demand, not in the test suite): resolving and checking 200
citations of an answer over a 10,000-page library.

    python -m tests.benchmarks.bench_citations
    python -m tests.benchmarks.bench_citations --pages 10000 --citations 200

The pages are generated (seeded words, about 1,800 characters each, with line breaks and
hyphenated line ends). The citations mix what answers hold: quotes on their page (some with
another case, straight quotes or a typo), quotes on another page, invented near-miss quotes,
pages cited without a quote and broken citations. Timed: reading the context into the page
index and checking every marker (the work ``RLMRun.finish`` does), best of three.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.context_format import Page, SourceDocument, build_context  # noqa: E402
from engine.rlm.citations import format_marker  # noqa: E402
from engine.rlm.verify import PageIndex, check_citations  # noqa: E402

_VOCABULARY = ("lease tenant landlord liability clause notice writing payment invoice days "
               "term termination agreement party parties shall must may not exceed amount "
               "deposit premises repair insurance schedule annex period renewal rent review "
               "breach remedy damages indemnity warranty consent assignment")
WORDS = _VOCABULARY.split()
PAGES_PER_DOC = 100


def page_lines(rng: random.Random) -> list[str]:
    lines = []
    for _ in range(24):
        words = [rng.choice(WORDS) for _ in range(11)]
        words.append(str(rng.randrange(1, 10_000)))
        lines.append(" ".join(words))
    return lines


def page_text(lines: list[str]) -> str:
    """The lines as extracted from a PDF: a word hyphenated at a line end here and there."""
    return "\n".join(lines).replace("termination", "termi-\nnation", 3)


def library(pages: int, seed: int = 7) -> tuple[str, list[dict[str, object]],
                                               list[list[list[str]]]]:
    rng = random.Random(seed)
    docs, texts = [], []
    for doc_id in range(1, pages // PAGES_PER_DOC + 1):
        lines = [page_lines(rng) for _ in range(PAGES_PER_DOC)]
        doc_pages = [Page(n, page_text(lines[n - 1]), label=str(n + 2))
                     for n in range(1, PAGES_PER_DOC + 1)]
        texts.append(lines)
        docs.append(SourceDocument(doc_id, f"Contract {doc_id}", f"/docs/c{doc_id}.pdf", "pdf",
                                   doc_pages))
    context, documents = build_context(docs)
    return context, documents, texts


def answer(texts: list[list[list[str]]], count: int, seed: int = 11) -> str:
    rng = random.Random(seed)
    parts = []
    for n in range(count):
        doc = rng.randrange(len(texts))
        page = rng.randrange(PAGES_PER_DOC)
        words = texts[doc][page][rng.randrange(2, 20)].split()
        quote = " ".join(words[1:9])
        kind = n % 20
        if kind < 14:                          # on its page (some altered harmlessly)
            if kind == 1:
                quote = quote.upper()
            elif kind == 2 and len(quote) > 40:
                quote = quote[:20] + quote[21:]  # a dropped letter
            cited = (doc + 1, page + 1)
        elif kind < 16:                        # on another page
            cited = (doc + 1, (page + 7) % PAGES_PER_DOC + 1)
        elif kind < 18:                        # invented: another number, nowhere
            quote = " ".join(words[1:9]) + " 99999"
            cited = (doc + 1, page + 1)
        elif kind == 18:
            quote, cited = None, (doc + 1, page + 1)
        else:                                  # no such document
            quote, cited = None, (len(texts) + 5, 1)
        parts.append(f"Claim {n}. {format_marker(*cited, quote)}")
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--citations", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    context, documents, texts = library(args.pages)
    text = answer(texts, args.citations)
    print(f"library: {args.pages:,} pages, {len(context) / 1e6:.1f} million characters "
          f"(generated in {time.perf_counter() - started:.1f} s)")
    times = []
    for _ in range(3):
        started = time.perf_counter()
        checked = check_citations(text, PageIndex.from_context(context, documents))
        times.append(time.perf_counter() - started)
    statuses = Counter(str(c.status) for c in checked)
    print(f"{len(checked)} citations resolved and checked: best {min(times):.3f} s, "
          f"worst {max(times):.3f} s (target < 0.5 s); {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    main()
