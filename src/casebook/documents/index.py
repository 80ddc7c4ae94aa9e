"""The retrieval index: one SQLite database per company, FTS5 with BM25 ranking.

It holds every document's content hash and status (indexed or skipped, with the reason),
its passages with provenance, and an FTS5 table over the passage text. Re-ingesting a file
whose hash is unchanged does no work.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from casebook.models import Chunk, SearchHit

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    file TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    kind TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
    reason TEXT,
    indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    file TEXT NOT NULL REFERENCES documents(file) ON DELETE CASCADE,
    doc_sha256 TEXT NOT NULL,
    page INTEGER,
    section TEXT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_file_page ON chunks(file, page);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
"""

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
    file: str
    sha256: str
    kind: str | None
    bytes: int
    pages: int
    chunks: int
    status: str
    reason: str | None


class PassageIndex:
    """A company's passages in one SQLite file. Use as a context manager."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def __enter__(self) -> PassageIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # -- documents ------------------------------------------------------------------------

    def documents(self) -> dict[str, DocumentRecord]:
        rows = self.db.execute("SELECT file, sha256, kind, bytes, pages, chunks, status, reason FROM documents")
        return {row[0]: DocumentRecord(*row) for row in rows}

    def replace_document(
        self, file: str, sha256: str, kind: str, size: int, pages: int, chunks: Iterable[Chunk]
    ) -> int:
        """Store a document's passages, replacing any earlier version; returns the count."""
        rows = [(c.chunk_id, file, c.doc_sha256, c.page, c.section, c.start, c.end, c.text) for c in chunks]
        with self._transaction():
            self.db.execute("DELETE FROM documents WHERE file = ?", (file,))
            self.db.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, 'indexed', NULL, ?)",
                (file, sha256, kind, size, pages, len(rows), _now()),
            )
            self.db.executemany(
                'INSERT INTO chunks (chunk_id, file, doc_sha256, page, section, start, "end", text)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def mark_skipped(self, file: str, sha256: str, size: int, reason: str) -> None:
        with self._transaction():
            self.db.execute("DELETE FROM documents WHERE file = ?", (file,))
            self.db.execute(
                "INSERT INTO documents VALUES (?, ?, NULL, ?, 0, 0, 'skipped', ?, ?)",
                (file, sha256, size, reason, _now()),
            )

    def remove_document(self, file: str) -> None:
        with self._transaction():
            self.db.execute("DELETE FROM documents WHERE file = ?", (file,))

    def fingerprint(self) -> str:
        """Identifies the indexed content: changes exactly when a document is added, changed or removed."""
        digest = hashlib.sha256()
        for file, sha in self.db.execute("SELECT file, sha256 FROM documents ORDER BY file"):
            digest.update(f"{file}\0{sha}\n".encode())
        return digest.hexdigest()[:16]

    def counts(self) -> dict[str, int]:
        docs = self.db.execute("SELECT count(*) FROM documents WHERE status = 'indexed'").fetchone()
        chunks = self.db.execute("SELECT count(*) FROM chunks").fetchone()
        return {"documents": docs[0], "chunks": chunks[0]}

    # -- passages -------------------------------------------------------------------------

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        match = fts_query(query)
        if match is None or k <= 0:
            return []
        # Rank inside the FTS table first and join only the top k: joining before the sort would
        # read the text of every matching passage (thousands, for common words) to keep k of them.
        rows = self.db.execute(
            'SELECT c.chunk_id, c.file, c.page, c.section, c.start, c."end", c.text, top.rank'
            " FROM (SELECT rowid, bm25(chunks_fts) AS rank FROM chunks_fts"
            "       WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?) AS top"
            " JOIN chunks c ON c.rowid = top.rowid ORDER BY top.rank, c.rowid",
            (match, k),
        )
        return [
            SearchHit(
                chunk_id=r[0],
                file=r[1],
                page=r[2],
                section=r[3],
                start=r[4],
                end=r[5],
                text=r[6],
                score=round(-r[7], 4),
            )
            for r in rows
        ]

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self.db.execute(f"{_CHUNK_COLUMNS} WHERE chunk_id = ?", (chunk_id,)).fetchone()
        return None if row is None else _chunk(row)

    def has_passage(self, file: str, page: int | None) -> bool:
        """True if the file is indexed and, when a page is given, has text on that page."""
        if page is None:
            row = self.db.execute("SELECT 1 FROM chunks WHERE file = ? LIMIT 1", (file,)).fetchone()
        else:
            row = self.db.execute("SELECT 1 FROM chunks WHERE file = ? AND page = ? LIMIT 1", (file, page)).fetchone()
        return row is not None

    def iter_chunks(self, file: str | None = None) -> Iterator[Chunk]:
        sql, args = _CHUNK_COLUMNS, cast(tuple[str, ...], ())
        if file is not None:
            sql, args = f"{sql} WHERE file = ?", (file,)
        for row in self.db.execute(f"{sql} ORDER BY rowid", args):
            yield _chunk(row)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


_CHUNK_COLUMNS = 'SELECT chunk_id, file, doc_sha256, page, section, start, "end", text FROM chunks'


def _chunk(row: tuple[Any, ...]) -> Chunk:
    return Chunk(
        chunk_id=row[0], file=row[1], doc_sha256=row[2], page=row[3], section=row[4],
        start=row[5], end=row[6], text=row[7],
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
