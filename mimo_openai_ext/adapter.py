"""MiMo's dialect at the HTTP layer, for code that never heard of this library.

``mimo_http_client()`` / ``mimo_async_http_client()`` (also at the top) return an
``httpx``/``httpx2`` client to hand to ``OpenAI(http_client=...)``, LangChain or LiteLLM;
this module adds the transports themselves (to wrap a transport of your own), the
options, and the record of one exchange (``response.extensions["mimo_exchange"]``).
``mimo-audio proxy`` serves the same rules to any language.
"""

from __future__ import annotations

from ._adapter._rules import EXCHANGE_EXTENSION, AdapterOptions, Exchange
from ._adapter._transport import (
    default_library,
    mimo_async_http_client,
    mimo_async_transport,
    mimo_http_client,
    mimo_transport,
)

__all__ = [
    "EXCHANGE_EXTENSION",
    "AdapterOptions",
    "Exchange",
    "default_library",
    "mimo_async_http_client",
    "mimo_async_transport",
    "mimo_http_client",
    "mimo_transport",
]
