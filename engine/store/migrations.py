"""Numbered schema migrations of the document store, applied once each (never edited after
release: add a new number instead)."""

from __future__ import annotations

MIGRATIONS: dict[int, tuple[str, list[str]]] = {
    1: ("collections, contents, pages, documents", [
        """CREATE TABLE collections (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created_at TEXT NOT NULL
        )""",
        # What was read from a file, stored once per distinct content (BLAKE2b-256 of the bytes).
        """CREATE TABLE contents (
            hash TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            title TEXT,
            author TEXT,
            pages INTEGER NOT NULL,
            chars INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            warnings TEXT NOT NULL DEFAULT '[]',
            extractor TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        # start/end: the page's character offsets within the document's text (pages joined).
        """CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            content_hash TEXT NOT NULL REFERENCES contents(hash) ON DELETE CASCADE,
            page INTEGER NOT NULL,
            label TEXT,
            kind TEXT NOT NULL DEFAULT 'text',
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (content_hash, page)
        )""",
        # A file at a path in a collection. path_key is the path's exact bytes (names need
        # not be valid UTF-8); path is the same path made printable.
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            path_key BLOB NOT NULL,
            content_hash TEXT REFERENCES contents(hash),
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            type TEXT NOT NULL,
            title TEXT NOT NULL,
            pages INTEGER NOT NULL DEFAULT 0,
            chars INTEGER NOT NULL DEFAULT 0,
            tokens INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,
            error TEXT,
            error_kind TEXT,
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (collection_id, path_key)
        )""",
        "CREATE INDEX documents_content ON documents(content_hash)",
    ]),
    # Questions asked through the app: one row per run, its events in order (the run's
    # trajectory), and the folders and files each collection was ingested from (for re-scan).
    2: ("runs, run events, collection sources", [
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            conversation TEXT,
            collection TEXT COLLATE NOCASE,
            question TEXT NOT NULL,
            answer TEXT NOT NULL DEFAULT '',
            stop_reason TEXT,
            partial INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            usage TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'running',
            error TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            duration_s REAL
        )""",
        "CREATE INDEX runs_started ON runs(started_at)",
        "CREATE INDEX runs_status ON runs(status)",
        """CREATE TABLE run_events (
            run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            json TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            path_key BLOB NOT NULL,
            path TEXT NOT NULL,
            added_at TEXT NOT NULL,
            UNIQUE (collection_id, path_key)
        )""",
    ]),
    # Review tables: documents (rows) asked the same questions (columns); one answer per cell,
    # written as each finishes so a crash loses only the cells in flight.
    3: ("reviews, review columns, rows and cells", [
        """CREATE TABLE reviews (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            collection TEXT COLLATE NOCASE,
            status TEXT NOT NULL DEFAULT 'new',
            budget_usd REAL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE review_columns (
            id INTEGER PRIMARY KEY,
            review_id TEXT NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            question TEXT NOT NULL,
            kind TEXT NOT NULL,
            choices TEXT NOT NULL DEFAULT '[]'
        )""",
        """CREATE TABLE review_rows (
            review_id TEXT NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            PRIMARY KEY (review_id, doc_id)
        ) WITHOUT ROWID""",
        # status: answered, not_stated, unreadable (the answer is not of the column's type),
        # failed (the model or the run failed), stopped (budget or cancel). value is JSON.
        """CREATE TABLE review_cells (
            review_id TEXT NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
            doc_id INTEGER NOT NULL,
            column_id INTEGER NOT NULL REFERENCES review_columns(id) ON DELETE CASCADE,
            status TEXT NOT NULL,
            raw TEXT NOT NULL DEFAULT '',
            value TEXT NOT NULL DEFAULT 'null',
            shown TEXT NOT NULL DEFAULT '',
            problem TEXT NOT NULL DEFAULT '',
            explanation TEXT NOT NULL DEFAULT '',
            citations TEXT NOT NULL DEFAULT '[]',
            strategy TEXT NOT NULL DEFAULT '',
            run_id TEXT,
            cost_usd REAL,
            tokens INTEGER NOT NULL DEFAULT 0,
            seconds REAL NOT NULL DEFAULT 0,
            finished_at TEXT NOT NULL,
            reviewed INTEGER NOT NULL DEFAULT 0,
            flagged INTEGER NOT NULL DEFAULT 0,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (review_id, doc_id, column_id),
            FOREIGN KEY (review_id, doc_id) REFERENCES review_rows(review_id, doc_id)
                ON DELETE CASCADE
        ) WITHOUT ROWID""",
    ]),
    # A content whose PDF password is kept in the OS keyring: forgotten with the content.
    4: ("contents: password kept", [
        "ALTER TABLE contents ADD COLUMN password_kept INTEGER NOT NULL DEFAULT 0",
    ]),
}
