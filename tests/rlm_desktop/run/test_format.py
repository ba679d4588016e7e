"""The run panel's wording helpers."""

from __future__ import annotations

from rlm_desktop.run.format import plain_citations


def test_citation_markers_read_as_document_and_page() -> None:
    text = ('Rent is 12,400 [[cite doc=3 page=2 quote="monthly rent of \\"EUR\\" 12,400"]]; '
            'see also [[cite doc=1 page=9]]. [[not a cite]]')
    assert plain_citations(text) == ("Rent is 12,400 [doc 3, p. 2]; see also [doc 1, p. 9]. "
                                      "[[not a cite]]")
