"""Tests of the OpenAI-compatible client, prices and their helpers."""
