"""``mimo-audio proxy`` as a library: a local OpenAI-compatible endpoint that speaks MiMo's dialect.

Point any tool, in any language, at its base URL and it gets what ``mimo_http_client()``
gives Python code: OpenAI-shaped audio made MiMo's, ``max_tokens`` renamed, Whisper's
``audio/transcriptions`` and OpenAI's ``audio/speech`` served, answers only
``reasoning_content`` holds copied into ``content``. Needs the ``proxy`` extra
(``pip install 'mimo-openai-ext[proxy]'``): Starlette on uvicorn, forwarding with the
adapter's own async client.
"""

from __future__ import annotations

from ._proxy._app import create_app
from ._proxy._options import DEFAULT_PROXY_PORT, ProxyOptions, is_loopback
from ._proxy._server import ProxyHandle, start_proxy

__all__ = ["DEFAULT_PROXY_PORT", "ProxyHandle", "ProxyOptions", "create_app", "is_loopback", "start_proxy"]
