"""An in-memory keyring backend so no test ever touches the real OS keyring.

Select it in a subprocess with
``PYTHON_KEYRING_BACKEND=tests.support.memory_keyring.MemoryKeyring``; a subprocess
starts empty unless ``RLM_TEST_KEYRING`` holds a JSON object of
``{"service\\x00user": "secret"}`` entries to preload.
"""

from __future__ import annotations

import json
import os

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        preload = os.environ.get("RLM_TEST_KEYRING")
        if preload:
            for key, secret in json.loads(preload).items():
                service, _, user = key.partition("\x00")
                self.store[(service, user)] = secret

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")
