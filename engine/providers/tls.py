"""One TLS context for every HTTP client of the process: building one reads the CA store."""

from __future__ import annotations

import functools
import ssl

import httpx2


@functools.cache
def shared_context(trust_env: bool = True) -> ssl.SSLContext:
    """httpx's default verifying context, built once (25-70 ms each) and shared: a context
    is safe to use from many connections, and each client used to build its own."""
    return httpx2.create_ssl_context(trust_env=trust_env)
