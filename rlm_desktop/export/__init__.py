"""Exporting a question's answer from the app: the choices, the save dialog, the request."""
