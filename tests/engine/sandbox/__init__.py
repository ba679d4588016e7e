"""Tests of the REPL child process and its host side."""
