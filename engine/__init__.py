"""The GUI-free core of RLM Desktop: the recursive loop, sandboxed REPL, providers and store."""

__version__ = "0.1.0"
