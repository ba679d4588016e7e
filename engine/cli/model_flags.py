"""The flags that choose the models (``rlm ask``, ``rlm review``), and the endpoints they make."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from engine.config import Settings
from engine.endpoints import Endpoint, EndpointChoice, resolve_endpoints


def add_model_flags(parser: Any) -> None:
    """The "models" group: endpoints, models, key variables and a price table."""
    models = parser.add_argument_group("models")
    models.add_argument("--base-url", help="OpenAI-compatible endpoint of the main model "
                        "(default: settings, else https://api.openai.com/v1)")
    models.add_argument("--model", help="the main model (it plans and writes code), e.g. gpt-5")
    models.add_argument("--sub-model", help="the helper model: it answers helper questions "
                        "(llm_query) and runs helper analyses (rlm_query) "
                        "(default: settings, else the main model)")
    models.add_argument("--sub-base-url", help="endpoint of the helper model "
                        "(default: settings, else the main model's)")
    models.add_argument("--api-key-env", metavar="VAR", help="read the main model's key from VAR")
    models.add_argument("--sub-api-key-env", metavar="VAR",
                        help="read the helper model's key from VAR (default: as the main "
                        "model's)")
    models.add_argument("--prices", type=Path, metavar="FILE",
                        help="JSON price table overriding the built-in one")


def endpoints_from(args: argparse.Namespace, settings: Settings) -> tuple[Endpoint, Endpoint]:
    """The main and helper endpoints: flags first, then the settings (see endpoints.py)."""
    choice = EndpointChoice(model=args.model, base_url=args.base_url,
                            api_key_env=args.api_key_env, sub_model=args.sub_model,
                            sub_base_url=args.sub_base_url, sub_api_key_env=args.sub_api_key_env)
    return resolve_endpoints(choice, settings)
