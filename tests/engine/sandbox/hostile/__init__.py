"""Hostile-code suite: model-written attacks run through the real engine and sandbox."""
