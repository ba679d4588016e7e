"""The document store: SQLite schema and migrations, the library of documents and pages, and
the cached REPL contexts built from it."""
