"""The ``rlm`` command: one module per group of verbs, and its progress displays."""
