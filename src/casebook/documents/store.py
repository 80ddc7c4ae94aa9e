"""A company's document store: one SQLite file holding every document version it has seen.

Versions are content-addressed: a version is a document's bytes, named by their SHA-256, and
its passages are keyed by content (`<sha256[:12]>-<position>`), so the same bytes under any
file name have the same passages and chunk ids. Names live only in document *sets*: a set maps
names (paths relative to the documents folder) to versions. Each run records its own set (set
id = run id); `casebook ingest` records one too; the company's *current* set is the latest one
ingested. A set can only name versions the store holds (a foreign key), so no version a set
still records can be removed.

Every write is one `BEGIN IMMEDIATE` transaction on a WAL database, so processes that share the
file (one machine, local storage) write one at a time and readers are never blocked.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from casebook.documents.index import FTS_TOKENIZER, PassageIndex
from casebook.models import Chunk
from casebook.sqlite_writes import use_wal

SCHEMA_VERSION = "4"
BUSY_TIMEOUT_MS = 120_000  # a writer waits this long for another process's write to finish

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    sha256 TEXT PRIMARY KEY,
    kind TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
    reason TEXT,
    added_at TEXT NOT NULL,
    used_at TEXT NOT NULL,
    reader TEXT
);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES versions(sha256) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    chunk_id TEXT NOT NULL UNIQUE,
    page INTEGER,
    section TEXT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    ocr INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sha256, position)
);
CREATE INDEX IF NOT EXISTS passages_by_version_page ON passages(sha256, page);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, content='passages', content_rowid='rowid', tokenize='@TOKENIZER@'
);
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TABLE IF NOT EXISTS sets (
    set_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('run', 'ingest')),
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS set_files (
    set_id TEXT NOT NULL REFERENCES sets(set_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES versions(sha256),
    PRIMARY KEY (set_id, name)
);
CREATE INDEX IF NOT EXISTS set_files_by_version ON set_files(sha256);
""".replace("@TOKENIZER@", FTS_TOKENIZER)


@dataclass(frozen=True)
class Version:
    sha256: str
    kind: str | None
    bytes: int
    pages: int
    chunks: int
    status: str
    reason: str | None
    added_at: str
    used_at: str
    reader: str | None = None
    """The reader that read it (readers.reader_version); None: read before readers were recorded."""


@dataclass(frozen=True)
class VersionRead:
    """What reading one version gave: its passages as rows (chunk_id, page, section, start, end,
    text, ocr), or the reason it cannot be read."""

    sha256: str
    size: int
    reader: str
    kind: str | None = None
    pages: int = 0
    rows: list[tuple[str, int | None, str | None, int, int, str, bool]] | None = None
    note: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DocumentSet:
    set_id: str
    kind: str
    created: str


@dataclass(frozen=True)
class LegacyDocument:
    """A document of a store written before versions (schema 1): stored in `data/<file>`."""

    file: str
    sha256: str


class DocumentStore:
    """The store in one SQLite file. Use as a context manager."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        use_wal(self.db, BUSY_TIMEOUT_MS / 1000)  # two ingests may open a new store at once
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.legacy: list[LegacyDocument] = []  # documents moved out of a schema-1 store on open
        if self._schema() == SCHEMA_VERSION:
            return
        with self.transaction():  # create, or migrate; one process at a time
            self.legacy = _migrate(self.db)
            _create(self.db)
            _add_columns(self.db)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def _schema(self) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError:  # no meta table: a new or a schema-1 store
            return None
        return None if row is None else str(row[0])

    def __enter__(self) -> DocumentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- versions -------------------------------------------------------------------------

    def version(self, sha256: str) -> Version | None:
        row = self.db.execute(f"SELECT {_VERSION_COLUMNS} FROM versions WHERE sha256 = ?", (sha256,)).fetchone()  # noqa: S608 (constant SQL; values are bound)
        return None if row is None else Version(*row)

    def versions(self) -> dict[str, Version]:
        return {row[0]: Version(*row) for row in self.db.execute(f"SELECT {_VERSION_COLUMNS} FROM versions")}  # noqa: S608 (constant SQL; values are bound)

    def add_version(
        self, sha256: str, kind: str, size: int, pages: int, chunks: Iterable[Chunk], note: str | None = None,
        *, reread: bool = False, reader: str | None = None,
    ) -> int:
        """Store a version's passages; returns how many were added (0 if it was already there,
        unless `reread`: then a version read in part or by an older reader, that no run cites,
        has its passages replaced). `note` (kept as its reason) says which pages were left unread."""
        rows = [(c.chunk_id, c.page, c.section, c.start, c.end, c.text, c.ocr) for c in chunks]
        read = VersionRead(sha256, size, reader or "", kind=kind, pages=pages, rows=rows, note=note)
        return self.add_reads([read], rereads={sha256} if reread else ())

    def add_skipped(self, sha256: str, size: int, reason: str, reader: str | None = None) -> None:
        """Remember a version that cannot be read, with the reason, so it is not read again."""
        self.add_reads([VersionRead(sha256, size, reader or "", reason=reason)])

    def add_reads(self, reads: Iterable[VersionRead], *, rereads: Collection[str] = ()) -> int:
        """Store what reading versions gave, all in one transaction (one commit for a batch);
        returns how many passages were added. See add_version (`rereads`: the versions read
        again, whose passages are replaced unless a run cites them) and add_skipped."""
        added = 0
        with self.transaction():
            now = _now()
            passages: list[tuple[object, ...]] = []
            for read in reads:
                if read.rows is None:
                    self._put_skipped(read, now)
                    continue
                rows = self._put_version(read, now, reread=read.sha256 in rereads)
                passages.extend((read.sha256, n, *row) for n, row in enumerate(rows))
            if passages:  # one statement for the batch: the FTS trigger sees one long insert
                self.db.executemany(
                    'INSERT INTO passages (sha256, position, chunk_id, page, section, start, "end", text, ocr)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    passages,
                )
                added = len(passages)
        return added

    def _put_version(self, read: VersionRead, now: str, *, reread: bool) -> list[tuple[object, ...]]:
        rows = read.rows or []
        existing = self.version(read.sha256)
        if existing is not None and existing.status != "skipped":
            if not reread or self.cited_by_runs(read.sha256):
                return []
            self.db.execute("DELETE FROM passages WHERE sha256 = ?", (read.sha256,))
        reader = read.reader or None
        if existing is None:
            self.db.execute(
                "INSERT INTO versions VALUES (?, ?, ?, ?, ?, 'indexed', ?, ?, ?, ?)",
                (read.sha256, read.kind, read.size, read.pages, len(rows), read.note, now, now, reader),
            )
        else:  # skipped, read in part or by an older reader before; read (further) now
            self.db.execute(
                "UPDATE versions SET kind = ?, pages = ?, chunks = ?, status = 'indexed', reason = ?,"
                " used_at = ?, reader = ? WHERE sha256 = ?",
                (read.kind, read.pages, len(rows), read.note, now, reader, read.sha256),
            )
        return [(*row[:6], int(bool(row[6]))) for row in rows]

    def _put_skipped(self, read: VersionRead, now: str) -> None:
        """A version that cannot be read. One read before keeps its passages (a newer reader
        failing on it takes nothing away) but records the reader, so it is not tried again."""
        self.db.execute(
            "INSERT INTO versions VALUES (?, NULL, ?, 0, 0, 'skipped', ?, ?, ?, ?)"
            " ON CONFLICT (sha256) DO UPDATE SET"
            "  reason = CASE WHEN versions.status = 'skipped' THEN excluded.reason ELSE versions.reason END,"
            "  used_at = excluded.used_at, reader = excluded.reader",
            (read.sha256, read.size, read.reason, now, now, read.reader or None),
        )

    def cited_by_runs(self, sha256: str) -> bool:
        """Whether a run's set holds this version: its passages (and their ids) must stay as they are."""
        row = self.db.execute(
            "SELECT 1 FROM set_files f JOIN sets s ON s.set_id = f.set_id"
            " WHERE f.sha256 = ? AND s.kind = 'run' LIMIT 1",
            (sha256,),
        ).fetchone()
        return row is not None

    def _has(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM versions WHERE sha256 = ?", (sha256,)).fetchone() is not None

    # -- sets -----------------------------------------------------------------------------

    def record_set(self, set_id: str, kind: str, files: dict[str, str], *, current: bool) -> list[str]:
        """Record which version each name of a set is, and (with `current`) make it the company's
        current set. Returns the versions the store lacks (removed meanwhile by gc): then nothing
        is recorded, and the caller adds them and tries again."""
        with self.transaction():
            missing = sorted({sha for sha in files.values() if not self._has(sha)})
            if missing:
                return missing
            self.db.execute("DELETE FROM sets WHERE set_id = ?", (set_id,))
            now = _now()
            self.db.execute("INSERT INTO sets VALUES (?, ?, ?)", (set_id, kind, now))
            self.db.executemany("INSERT INTO set_files VALUES (?, ?, ?)", [(set_id, n, s) for n, s in files.items()])
            self.db.executemany(
                "UPDATE versions SET used_at = ? WHERE sha256 = ?", [(now, s) for s in set(files.values())]
            )
            if current:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('current', ?)", (set_id,))
        return []

    def has_set(self, set_id: str, files: dict[str, str]) -> bool:
        """True if the set is recorded exactly with these names and versions."""
        return self.set_files(set_id) == files and self.db.execute(
            "SELECT 1 FROM sets WHERE set_id = ?", (set_id,)
        ).fetchone() is not None

    def set_files(self, set_id: str) -> dict[str, str]:
        rows = self.db.execute("SELECT name, sha256 FROM set_files WHERE set_id = ? ORDER BY name", (set_id,))
        return dict(rows.fetchall())

    def sets(self) -> list[DocumentSet]:
        return [DocumentSet(*r) for r in self.db.execute("SELECT set_id, kind, created FROM sets ORDER BY created")]

    def current_set(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'current'").fetchone()
        return None if row is None else str(row[0])

    def view(self, set_id: str) -> PassageIndex:
        """The passages of one set: searches and lookups through it see nothing else."""
        return PassageIndex(self.db, set_id)

    # -- removal --------------------------------------------------------------------------

    def drop_sets(self, set_ids: Iterable[str]) -> None:
        with self.transaction():
            self.db.executemany("DELETE FROM sets WHERE set_id = ?", [(s,) for s in set_ids])

    @contextlib.contextmanager
    def removing_unused(self) -> Iterator[list[Version]]:
        """Remove every version no set records, inside one write transaction.

        The caller deletes the versions' stored files inside the `with` block: no other writer can
        record a set naming one of them until the block ends, so no file of a version a set
        records is ever deleted.
        """
        with self.transaction():
            rows = self.db.execute(
                f"SELECT {_VERSION_COLUMNS} FROM versions WHERE sha256 NOT IN (SELECT sha256 FROM set_files)"  # noqa: S608 (constant SQL; values are bound)
                " ORDER BY added_at, sha256"
            ).fetchall()
            unused = [Version(*r) for r in rows]
            for version in unused:
                self.db.execute("DELETE FROM passages WHERE sha256 = ?", (version.sha256,))
                self.db.execute("DELETE FROM versions WHERE sha256 = ?", (version.sha256,))
            yield unused

    def names_of(self, sha256: str) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT name FROM set_files WHERE sha256 = ? ORDER BY name", (sha256,))
        return [r[0] for r in rows]


_VERSION_COLUMNS = "sha256, kind, bytes, pages, chunks, status, reason, added_at, used_at, reader"


def _migrate(db: sqlite3.Connection) -> list[LegacyDocument]:
    """Turn a schema-1 store (documents by file name, one document set) into versions, keeping
    its passages (their ids were already keyed by content) and its documents as the current set."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "documents" not in tables or "chunks" not in tables:
        return []
    _create(db)
    now = _now()
    legacy = [LegacyDocument(f, s) for f, s in db.execute("SELECT file, sha256 FROM documents ORDER BY file")]
    db.execute(
        "INSERT OR IGNORE INTO versions (sha256, kind, bytes, pages, chunks, status, reason, added_at, used_at)"
        " SELECT sha256, kind, bytes, pages, chunks, status, reason, indexed_at, ? FROM documents",
        (now,),
    )
    db.execute(
        'INSERT OR IGNORE INTO passages (sha256, position, chunk_id, page, section, start, "end", text)'
        " SELECT doc_sha256, row_number() OVER (PARTITION BY doc_sha256 ORDER BY rowid) - 1,"
        '   chunk_id, page, section, start, "end", text FROM chunks'
        " WHERE doc_sha256 IN (SELECT sha256 FROM versions) ORDER BY rowid"
    )
    if legacy:
        db.execute("INSERT INTO sets VALUES ('legacy', 'ingest', ?)", (now,))
        db.executemany("INSERT OR IGNORE INTO set_files VALUES ('legacy', ?, ?)", [(d.file, d.sha256) for d in legacy])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('current', 'legacy')")
    db.execute("DROP TABLE IF EXISTS chunks_fts")
    db.execute("DROP TRIGGER IF EXISTS chunks_ai")
    db.execute("DROP TRIGGER IF EXISTS chunks_ad")
    db.execute("DROP TABLE chunks")
    db.execute("DROP TABLE documents")
    return legacy


def _add_columns(db: sqlite3.Connection) -> None:
    """Columns added since schema 2: passages.ocr (schema 3), versions.reader (schema 4: none
    for versions read before, so an ingest reads them again with today's readers)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(passages)")}
    if "ocr" not in columns:
        db.execute("ALTER TABLE passages ADD COLUMN ocr INTEGER NOT NULL DEFAULT 0")
    if "reader" not in {row[1] for row in db.execute("PRAGMA table_info(versions)")}:
        db.execute("ALTER TABLE versions ADD COLUMN reader TEXT")


def _create(db: sqlite3.Connection) -> None:
    """The schema, statement by statement: executescript would commit the open transaction."""
    script, statement = SCHEMA.strip().splitlines(), ""
    for line in script:
        statement += line + "\n"
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
