"""Every HTTP client shares one TLS context, and it still verifies servers."""

from __future__ import annotations

import ssl

from engine.providers.client import ModelClient
from engine.providers.prices import PriceTable
from engine.providers.tls import shared_context


def test_the_shared_context_verifies_certificates_and_host_names() -> None:
    context = shared_context()
    assert context is shared_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_model_clients_use_the_shared_context() -> None:
    clients = [ModelClient(model=m, base_url="https://example.invalid/v1", api_key="k",
                           prices=PriceTable.builtin()) for m in ("a", "b")]
    pools = [client._client._client._transport._pool for client in clients]  # type: ignore[attr-defined]
    assert all(pool._ssl_context is shared_context() for pool in pools)
