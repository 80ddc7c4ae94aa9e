"""Passages: exact offsets into their page, bounded size, stable numbering."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from casebook.documents import PageText, chunk_pages
from casebook.models import Chunk

SHA = "0123456789abcdef" * 4

_pieces = st.sampled_from(
    ["word", "Acme", "Zürich", "robots", "42.7", ".", ",", "!", "?", " ", " ", " ", "\n", "\n\n",
     "\t", "  ", "x" * 30, "é", "。", "—"]
)
_texts = st.lists(_pieces, max_size=120).map("".join) | st.text(max_size=400)
_pages = st.lists(
    st.builds(
        PageText,
        page=st.one_of(st.none(), st.integers(1, 50)),
        section=st.one_of(st.none(), st.text(max_size=10)),
        text=_texts,
    ),
    max_size=4,
)


def _where(chunk: Chunk) -> tuple[object, ...]:
    return (chunk.page, chunk.section, chunk.start, chunk.end, chunk.text)


@settings(max_examples=300, deadline=None)
@given(pages=_pages, size=st.integers(1, 120), overlap=st.integers(0, 200))
def test_chunks_are_exact_slices_covering_every_page(
    pages: list[PageText], size: int, overlap: int
) -> None:
    chunks = chunk_pages(pages, file="doc.pdf", doc_sha256=SHA, size=size, overlap=overlap)
    assert [c.chunk_id for c in chunks] == [f"{SHA[:12]}-{n:04d}" for n in range(len(chunks))]
    assert all(c.file == "doc.pdf" and c.doc_sha256 == SHA for c in chunks)
    per_page = [
        chunk_pages([page], file="doc.pdf", doc_sha256=SHA, size=size, overlap=overlap)
        for page in pages
    ]
    # Page by page, in order: no passage crosses a page.
    assert [_where(c) for c in chunks] == [_where(c) for mine in per_page for c in mine]
    for page, mine in zip(pages, per_page, strict=True):
        for chunk in mine:
            assert page.text[chunk.start : chunk.end] == chunk.text
            assert (chunk.page, chunk.section) == (page.page, page.section)
            assert chunk.text.strip() and chunk.text == chunk.text.strip()
            assert 0 < chunk.end - chunk.start <= size
        starts = [c.start for c in mine]
        assert starts == sorted(set(starts))
        covered = {i for c in mine for i in range(c.start, c.end)}
        assert all(i in covered for i, ch in enumerate(page.text) if not ch.isspace())
    again = chunk_pages(pages, file="doc.pdf", doc_sha256=SHA, size=size, overlap=overlap)
    assert again == chunks


def test_breaks_at_paragraphs_then_sentences_and_overlaps() -> None:
    first = "Alpha beta gamma delta. " * 3
    text = first.strip() + "\n\n" + "Second paragraph is here. It has two sentences."
    page = PageText(page=2, section="Intro", text=text)
    chunks = chunk_pages([page], file="doc.pdf", doc_sha256=SHA, size=80, overlap=20)
    assert chunks[0].text == first.strip()
    assert chunks[0].page == 2 and chunks[0].section == "Intro"
    assert chunks[-1].text.endswith("Second paragraph is here. It has two sentences.")
    assert all("\n\n" not in c.text for c in chunks)
    long = PageText(page=None, section=None, text=" ".join(f"w{i:03d}" for i in range(200)))
    parts = chunk_pages([long], file="d", doc_sha256=SHA, size=100, overlap=30)
    for before, after in itertools.pairwise(parts):
        assert after.start < before.end  # overlapping
        assert long.text[after.start - 1] == " "  # starting at a word
    assert parts[-1].text.endswith("w199")


def test_whitespace_pages_give_no_chunks() -> None:
    pages = [PageText(page=1, section=None, text="  \n\n\t "), PageText(1, None, "")]
    assert chunk_pages(pages, file="d", doc_sha256=SHA, size=50, overlap=5) == []
