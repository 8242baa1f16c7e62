"""The proxy as a Starlette app: every request checked, forwarded through the adapter, streamed back.

The rules are the HTTP adapter's (:mod:`mimo_openai_ext._adapter`): the upstream client is
``mimo_async_http_client()``, so what the proxy rewrites is exactly what the in-process
transport rewrites. Here: the caller's key or the proxy key, the body limit (refused with
413 before the body is read, never sent upstream), the key sent upstream, and one access
log line per request, written when its answer has been sent (streams included).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._adapter._rules import EXCHANGE_EXTENSION, Exchange
from .._adapter._transport import http_library, mimo_async_http_client
from .._checks import check_type
from .._exceptions import MissingExtraError
from .._redact import mask
from ._options import ProxyOptions

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["create_app"]

log = logging.getLogger("mimo_openai_ext.proxy")

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length", "authorization", "api-key", "accept-encoding"}
_NOT_RETURNED = _HOP_BY_HOP | {"content-length", "date", "server"}


def _error(status: int, message: str) -> Response:
    from starlette.responses import Response

    body = {"error": {"code": str(status), "message": message, "param": message, "type": "proxy"}}
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("api-key") or None


class _TooLarge(Exception):
    pass


class _Forwarder:
    """The one endpoint: every method and path under the proxy goes upstream."""

    def __init__(self, options: ProxyOptions) -> None:
        self.options = options
        self.client: Any = None
        self.lib = http_library()

    def _upstream_key(self, request: Request) -> tuple[str | None, Response | None]:
        presented = _presented_key(request)
        if self.options.proxy_key is not None:
            if presented is None or not hmac.compare_digest(presented, self.options.proxy_key):
                return None, _error(
                    401, "this proxy needs its proxy key: send it as the API key (Authorization: Bearer ...)"
                )
            return self.options.api_key, None
        key = self.options.api_key or presented
        if not key:
            return None, _error(
                401,
                "no MiMo key: start the proxy with --api-key or MIMO_API_KEY, or send "
                "Authorization: Bearer <key>",
            )
        return key, None

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.options.max_body_bytes:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.options.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _url(self, request: Request) -> str:
        path = request.url.path
        rest = path[3:] if path == "/v1" or path.startswith("/v1/") else path
        query = f"?{request.url.query}" if request.url.query else ""
        return self.options.upstream.rstrip("/") + rest + query

    async def __call__(self, request: Request) -> Response:
        from starlette.responses import StreamingResponse

        started = time.monotonic()
        key, refusal = self._upstream_key(request)
        if refusal is not None:
            self._log(request, refusal.status_code, None, started)
            return refusal
        try:
            body = await self._body(request)
        except _TooLarge:
            limit = self.options.max_body_bytes
            self._log(request, 413, None, started)
            return _error(
                413,
                f"the request body is over this proxy's limit of {limit:,} bytes (MiMo takes at most "
                f"{self.options.adapter.limits.max_data_uri_chars:,} characters a data URI); send long audio "
                "as an https:// URL, or shrink it with `mimo-audio fit`",
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
        headers["authorization"] = f"Bearer {key}"
        upstream = self.client.build_request(
            request.method, self._url(request), headers=headers, content=body
        )
        del body  # the request holds it; nothing else should
        try:
            response = await self.client.send(upstream, stream=True)
        except self.lib.TransportError as exc:  # a network failure upstream
            self._log(request, 502, None, started)
            return _error(502, f"could not reach {self.options.upstream}: {type(exc).__name__}: {exc}")
        exchange = response.extensions.get(EXCHANGE_EXTENSION)

        async def relay() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_raw():
                    yield chunk
            finally:
                await response.aclose()
                self._log(request, response.status_code, exchange, started)

        returned = {k: v for k, v in response.headers.items() if k.lower() not in _NOT_RETURNED}
        return StreamingResponse(relay(), status_code=response.status_code, headers=returned)

    def _log(self, request: Request, status: int, exchange: Exchange | None, started: float) -> None:
        if not self.options.access_log:
            return
        fields = [f"{request.method} {request.url.path}", str(status)]
        if exchange is not None:
            usage = exchange.usage or {}
            audio_tokens = exchange.audio_tokens
            audio_s = exchange.audio_s  # probed by the adapter; never guessed from the tokens
            seconds = f"{audio_s:.1f}s" if audio_s is not None else "-"
            fields += [
                f"model={exchange.model or '-'}",
                f"audio={seconds}",
                f"audio_tokens={audio_tokens if audio_tokens is not None else '-'}",
                f"prompt_tokens={usage.get('prompt_tokens', '-')}",
                f"completion_tokens={usage.get('completion_tokens', '-')}",
            ]
            if exchange.reasoning_copied:
                fields.append("reasoning->content")
            if exchange.error:
                fields.append(f"refused={exchange.error[:160]!r}")
        fields.append(f"{time.monotonic() - started:.2f}s")
        client = request.client.host if request.client else "-"
        secrets = [s for s in (self.options.api_key, self.options.proxy_key, _presented_key(request)) if s]
        log.info("%s %s", client, mask(" ".join(fields), secrets))


def create_app(options: ProxyOptions | None = None) -> Starlette:
    """The proxy's ASGI app (Starlette): serve it with uvicorn or any ASGI server."""
    try:
        import uvicorn  # noqa: F401 - serving it needs uvicorn too; say so now
        from starlette.applications import Starlette
    except ImportError:
        raise MissingExtraError(
            "the proxy needs Starlette and uvicorn: pip install 'mimo-openai-ext[proxy]'", extra="proxy"
        ) from None
    from starlette.routing import Route

    check_type(options, ProxyOptions, option="options", expected="a ProxyOptions", none=True)
    forwarder = _Forwarder(options or ProxyOptions())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        forwarder.client = mimo_async_http_client(
            options=forwarder.options.adapter, timeout=forwarder.options.timeout_s
        )
        try:
            yield
        finally:
            await forwarder.client.aclose()

    async def endpoint(request: Request) -> Response:
        return await forwarder(request)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    return Starlette(
        routes=[Route("/{path:path}", endpoint, methods=methods)],
        lifespan=lifespan,
    )
