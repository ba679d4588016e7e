"""The REPL child process and its host side (spawn, frames, watchdog)."""
