"""The engine worker: the process the desktop app starts and talks to in JSON lines."""
