"""The PySide6 desktop application (arrives with the desktop-app issue)."""
