"""OpenAI-compatible model client: calls, retries, usage and prices."""
