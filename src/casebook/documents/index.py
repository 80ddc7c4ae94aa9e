"""Retrieval within one document set: FTS5 with BM25 ranking over the passages of the versions a
set names (a run's own documents, or the company's current set), and nothing else.

A `PassageIndex` is always a view of one set (`DocumentStore.view(set_id)`): there is no way
to search or look up a passage without saying whose documents it is among. A passage's `file`
is the name the set gives its version (the first, by name, when two names hold the same bytes).
BM25's term statistics are those of the whole store, so scores (not membership) can shift a
little as other sets come and go.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from casebook.models import Chunk, SearchHit

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"

# Words too common to help BM25; dropped from natural-language queries.
_STOP_TEXT = """a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself
just me more most my no nor not now of off on once only or other our ours out over own
same she should so some such than that the their theirs them then there these they this
those through to too under until up very was we were what when where which while who
whom why will with would you your yours please tell show find give list"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """Turn free text into a safe FTS5 query: each word quoted, OR-ed, stop words dropped.

    Quoting every term means no user text can be read as FTS syntax (NEAR, *, ^, column
    filters, unbalanced quotes), so no query can fail or inject.
    """
    words = [w.casefold() for w in _WORD.findall(text)]
    kept = [w for w in words if w not in STOP_WORDS] or words
    unique = list(dict.fromkeys(kept))[:64]
    if not unique:
        return None
    return " OR ".join(f'"{w}"' for w in unique)


@dataclass(frozen=True)
class DocumentRecord:
    """A name of the set, the version it holds and what became of that version at ingest."""

    file: str
    sha256: str
    kind: str | None
    bytes: int
    pages: int
    chunks: int
    status: str
    reason: str | None


# The set's versions, each under its first name.
_SCOPE = "SELECT sha256, min(name) AS name FROM set_files WHERE set_id = :set GROUP BY sha256"
_MAX_RANGES = 200  # SQLite parses "a OR b OR …" as a tree at most 1000 deep
_CHUNK_COLUMNS = 'p.chunk_id, s.name, p.sha256, p.page, p.section, p.start, p."end", p.text, p.ocr'


class PassageIndex:
    """The passages of one document set. Opened by DocumentStore.view; closed with the store."""

    def __init__(self, db: sqlite3.Connection, set_id: str) -> None:
        self.db = db
        self.set_id = set_id
        self._ranges: list[tuple[int, int]] | None = None
        self._shown: dict[str, str] | None = None

    def _names(self) -> dict[str, str]:
        """sha256 -> the name a passage of that version is shown under (the first, by name)."""
        if self._shown is None:
            rows = self.db.execute(
                "SELECT sha256, min(name) FROM set_files WHERE set_id = ? GROUP BY sha256", (self.set_id,)
            )
            self._shown = dict(rows.fetchall())
        return self._shown

    def _rowid_ranges(self) -> list[tuple[int, int]]:
        """The set's passages as runs of consecutive rowids (a version's passages are written in
        one transaction, so each version is about one run). Read once per view: a set never changes."""
        if self._ranges is None:
            rows = self.db.execute(
                "SELECT min(rowid), max(rowid) FROM ("
                "  SELECT rowid, rowid - row_number() OVER (ORDER BY rowid) AS run FROM passages"
                "  WHERE sha256 IN (SELECT sha256 FROM set_files WHERE set_id = ?))"
                " GROUP BY run ORDER BY 1",
                (self.set_id,),
            )
            self._ranges = [(int(a), int(b)) for a, b in rows]
        return self._ranges

    def __enter__(self) -> PassageIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    # -- the set --------------------------------------------------------------------------

    def files(self) -> dict[str, str]:
        """Name -> sha256 of every document of the set, readable or not."""
        rows = self.db.execute("SELECT name, sha256 FROM set_files WHERE set_id = ? ORDER BY name", (self.set_id,))
        return dict(rows.fetchall())

    def documents(self) -> dict[str, DocumentRecord]:
        rows = self.db.execute(
            "SELECT f.name, f.sha256, v.kind, v.bytes, v.pages, v.chunks, v.status, v.reason"
            " FROM set_files f JOIN versions v ON v.sha256 = f.sha256 WHERE f.set_id = ? ORDER BY f.name",
            (self.set_id,),
        )
        return {row[0]: DocumentRecord(*row) for row in rows}

    def fingerprint(self) -> str:
        """Identifies the set: changes exactly when a document is added, changed, renamed or removed."""
        digest = hashlib.sha256()
        for file, sha in self.files().items():
            digest.update(f"{file}\0{sha}\n".encode())
        return digest.hexdigest()[:16]

    def counts(self) -> dict[str, int]:
        """Readable documents (distinct versions) and their passages."""
        row = self.db.execute(
            f"SELECT count(*), coalesce(sum(v.chunks), 0) FROM ({_SCOPE}) s JOIN versions v ON v.sha256 = s.sha256"  # noqa: S608 (constant SQL; values are bound)
            " WHERE v.status = 'indexed'",
            {"set": self.set_id},
        ).fetchone()
        return {"documents": row[0], "chunks": row[1]}

    # -- passages -------------------------------------------------------------------------

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        match = fts_query(query)
        ranges = self._rowid_ranges()
        if match is None or k <= 0 or not ranges:
            return []
        # Rank inside the FTS table, keeping the set's passages by rowid range (no row is read to
        # filter), and read the text of the top k only: reading it before the sort would load
        # every matching passage (thousands, for common words).
        if len(ranges) <= _MAX_RANGES:
            within = " OR ".join("passages_fts.rowid BETWEEN ? AND ?" for _ in ranges)
            bounds: tuple[Any, ...] = tuple(bound for pair in ranges for bound in pair)
        else:  # a set in many pieces: filter by version, reading each matching passage's row
            within = "passages_fts.rowid IN (SELECT p.rowid FROM passages p JOIN set_files f ON f.sha256 = p.sha256"
            within += " WHERE f.set_id = ?)"
            bounds = (self.set_id,)
        rows = self.db.execute(
            'SELECT p.chunk_id, p.sha256, p.page, p.section, p.start, p."end", p.text, top.rank, p.ocr'  # noqa: S608
            "  FROM (SELECT passages_fts.rowid AS rowid, bm25(passages_fts) AS rank FROM passages_fts"
            f"        WHERE passages_fts MATCH ? AND ({within}) ORDER BY rank LIMIT ?) AS top"
            "  JOIN passages p ON p.rowid = top.rowid"
            " ORDER BY top.rank, p.rowid",
            (match, *bounds, k),
        )
        names = self._names()
        return [
            SearchHit(
                chunk_id=r[0],
                file=names[r[1]],
                page=r[2],
                section=r[3],
                start=r[4],
                end=r[5],
                text=r[6],
                score=round(-r[7], 4),
                ocr=bool(r[8]),
            )
            for r in rows
        ]

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The whole passage with this id, if it belongs to the set."""
        row = self.db.execute(
            f"SELECT {_CHUNK_COLUMNS} FROM passages p JOIN ({_SCOPE}) s ON s.sha256 = p.sha256"  # noqa: S608 (constant SQL; values are bound)
            " WHERE p.chunk_id = :id",
            {"set": self.set_id, "id": chunk_id},
        ).fetchone()
        return None if row is None else _chunk(row)

    def has_passage(self, file: str, page: int | None) -> bool:
        """True if the set names this file and, when a page is given, it has text on that page."""
        return next(self.iter_chunks(file, page=page), None) is not None

    def iter_chunks(self, file: str | None = None, *, page: int | None = None) -> Iterator[Chunk]:
        """The set's passages in document order; of one file (any of its names), and one page."""
        sql = f"SELECT {_CHUNK_COLUMNS} FROM passages p JOIN ({_SCOPE}) s ON s.sha256 = p.sha256"  # noqa: S608 (constant SQL; values are bound)
        args: dict[str, Any] = {"set": self.set_id, "file": file, "page": page}
        if file is not None:
            sql += " WHERE p.sha256 = (SELECT sha256 FROM set_files WHERE set_id = :set AND name = :file)"
            if page is not None:
                sql += " AND p.page = :page"
        for row in self.db.execute(f"{sql} ORDER BY s.name, p.position", args):
            yield _chunk(row)


def _chunk(row: tuple[Any, ...]) -> Chunk:
    return Chunk(
        chunk_id=row[0], file=row[1], doc_sha256=row[2], page=row[3], section=row[4],
        start=row[5], end=row[6], text=row[7], ocr=bool(row[8]),
    )
