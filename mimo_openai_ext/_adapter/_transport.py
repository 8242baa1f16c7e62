"""The adapter as httpx transports: ``mimo_http_client()`` and ``mimo_async_http_client()``.

A wrapping transport (httpx's own extension point: ``BaseTransport.handle_request`` /
``AsyncBaseTransport.handle_async_request``) around the real one. Requests to
``.../chat/completions``, ``.../audio/transcriptions`` and ``.../audio/speech`` get the rules of
:mod:`._rules`; everything else goes through untouched. A streamed answer stays
streamed: each server-sent event is passed on as soon as it is complete.

Two HTTP libraries: ``openai`` 3.x runs on ``httpx2`` (a renamed ``httpx`` with the same
API), ``openai`` 1.x and 2.x on ``httpx``. The transport classes are made for whichever
library the client will use (``library=``; by default the one the installed ``openai``
uses, or the one the ``transport`` you wrap belongs to), so
``OpenAI(http_client=mimo_http_client())`` works on every major, and so do LiteLLM and
langchain-openai, which hand the client to the SDK.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

from .._checks import check_type
from .._exceptions import InvalidOptionError, MimoAudioError, MissingExtraError
from .._speech.route import (
    SPEECH_PATH,
    answer_speech,
    answer_speech_async,
    mimo_speech_model,
    parse_speech_body,
)
from ._rules import (
    EXCHANGE_EXTENSION,
    AdapterOptions,
    Exchange,
    OutgoingBody,
    SseRewriter,
    error_body,
    rewrite_chat_request,
    rewrite_completion,
    rewrite_error,
    route_of,
)
from ._transcriptions import parse_form, run_async, run_sync, target

if TYPE_CHECKING:
    import httpx
    import httpx2

__all__ = [
    "default_library",
    "http_library",
    "mimo_async_http_client",
    "mimo_async_transport",
    "mimo_http_client",
    "mimo_transport",
]

Library = Literal["httpx", "httpx2"]
_LIBRARIES: tuple[Library, ...] = ("httpx", "httpx2")
_THREAD_BYTES = 1 << 20
"""An async transport rewrites bodies bigger than this on a worker thread (the loop keeps serving)."""
_DEFAULT_TIMEOUT_S = 600.0
_CONNECT_TIMEOUT_S = 5.0
"""The openai SDK's own defaults (10 minutes; 5 s to connect)."""


def default_library() -> Library:
    """The HTTP library the installed ``openai`` runs on: ``httpx2`` for 3.x, else ``httpx``."""
    import openai

    match = re.match(r"\D*(\d+)", openai.__version__)
    return "httpx2" if match is not None and int(match.group(1)) >= 3 else "httpx"


def http_library(library: str | None = None, transport: object = None) -> ModuleType:
    """The ``httpx`` or ``httpx2`` module for ``library``, or for the transport being wrapped."""
    check_type(library, str, option="library", expected='"httpx" or "httpx2"', none=True)
    if transport is not None:
        for cls in type(transport).__mro__:
            root = cls.__module__.split(".", 1)[0]
            if root in _LIBRARIES and library in (None, root):
                library = root
                break
        else:
            raise InvalidOptionError(
                f"transport={transport!r} is not an httpx or httpx2 transport (a BaseTransport or "
                "AsyncBaseTransport subclass), or not one of library={library!r}",
                option="transport",
            )
    name = library or default_library()
    if name not in _LIBRARIES:
        raise InvalidOptionError(f'library={name!r}: use "httpx" or "httpx2"', option="library")
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingExtraError(
            f"library={name!r} is not installed: pip install {name} (the installed openai uses "
            f"{default_library()})",
            extra=name,
        ) from None


class _Classes(NamedTuple):
    transport: type[Any]
    async_transport: type[Any]
    pieces: type[Any]
    events: type[Any]
    borrowed: type[Any]
    async_borrowed: type[Any]


@functools.cache
def _classes(lib: ModuleType) -> _Classes:
    """The transport and stream classes, subclassing ``lib``'s own base classes."""

    def make(name: str, core: type[Any], *bases: type[Any]) -> type[Any]:
        return type(name, (core, *bases), {"__module__": "mimo_openai_ext.adapter", "_lib": lib})

    return _Classes(
        make("MimoTransport", _SyncAdapter, lib.BaseTransport),
        make("AsyncMimoTransport", _AsyncAdapter, lib.AsyncBaseTransport),
        make("_Pieces", _Pieces, lib.SyncByteStream, lib.AsyncByteStream),
        make("_Events", _Events, lib.SyncByteStream, lib.AsyncByteStream),
        make("_Borrowed", _Borrowed, lib.BaseTransport),
        make("_AsyncBorrowed", _AsyncBorrowed, lib.AsyncBaseTransport),
    )


class _Pieces:
    """A request body sent piece by piece (views into the original body: nothing joined)."""

    def __init__(self, pieces: list[bytes | memoryview]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._pieces:
            yield bytes(piece)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield bytes(piece)


class _Events:
    """An answer's server-sent events, passed through :class:`SseRewriter` as they arrive."""

    def __init__(self, upstream: Any, rewriter: SseRewriter) -> None:
        self._upstream = upstream
        self._rewriter = rewriter

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._upstream:
            out = self._rewriter.feed(chunk)
            if out:
                yield out
        tail = self._rewriter.close()
        if tail:
            yield tail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._upstream:
            out = self._rewriter.feed(chunk)
            if out:
                yield out
        tail = self._rewriter.close()
        if tail:
            yield tail

    def close(self) -> None:
        self._upstream.close()

    async def aclose(self) -> None:
        await self._upstream.aclose()


class _Borrowed:
    """The adapter's upstream transport lent to the Whisper shim's client (never closed by it)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def handle_request(self, request: Any) -> Any:
        return self._inner.handle_request(request)

    def close(self) -> None:
        pass


class _AsyncBorrowed:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def handle_async_request(self, request: Any) -> Any:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


def _answer_kind(response: Any) -> str | None:
    """``"json"``, ``"sse"`` or ``"error"`` (a JSON error body) for an answer the rules read;
    None to pass it on untouched."""
    encoding = response.headers.get("content-encoding", "identity").lower()
    if encoding not in ("", "identity"):
        return None
    kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if response.status_code >= 400:
        return "error" if kind == "application/json" else None
    if not 200 <= response.status_code < 300:
        return None
    return {"application/json": "json", "text/event-stream": "sse"}.get(kind)


class _Base:
    """What the sync and async transports share: options, routing, building requests and answers."""

    _lib: ModuleType

    def __init__(self, inner: Any, options: AdapterOptions) -> None:
        self._inner = inner
        self._options = options

    def _outgoing(self, request: Any, body: bytes, outgoing: OutgoingBody) -> Any:
        headers = request.headers.copy()
        headers["accept-encoding"] = "identity"  # the rules read the answer
        if outgoing.pieces is None:
            return self._lib.Request(
                request.method, request.url, headers=headers, content=body, extensions=request.extensions
            )
        headers["content-length"] = str(outgoing.length)
        if "transfer-encoding" in headers:
            del headers["transfer-encoding"]
        stream = _classes(self._lib).pieces(outgoing.pieces)
        return self._lib.Request(
            request.method, request.url, headers=headers, stream=stream, extensions=request.extensions
        )

    def _response(self, status: int, content_type: str, body: bytes, exchange: Exchange) -> Any:
        headers = {"content-type": content_type, "content-length": str(len(body))}
        return self._lib.Response(
            status,
            headers=headers,
            stream=self._lib.ByteStream(body),
            extensions={EXCHANGE_EXTENSION: exchange},
        )

    def _refusal(self, exc: MimoAudioError, exchange: Exchange) -> Any:
        exchange.error = str(exc)
        return self._response(400, "application/json", error_body(exc), exchange)

    def _rewritten_json(self, response: Any, body: bytes, exchange: Exchange, *, error: bool = False) -> Any:
        new = rewrite_error(body) if error else rewrite_completion(body, self._options, exchange)
        headers = response.headers.copy()
        headers["content-length"] = str(len(new or body))
        extensions = {**response.extensions, EXCHANGE_EXTENSION: exchange}
        stream = self._lib.ByteStream(new or body)  # a stream, not content=: a proxy still reads it raw
        return self._lib.Response(response.status_code, headers=headers, stream=stream, extensions=extensions)

    def _streamed(self, response: Any, exchange: Exchange) -> Any:
        headers = response.headers.copy()
        if "content-length" in headers:
            del headers["content-length"]
        stream = _classes(self._lib).events(response.stream, SseRewriter(self._options, exchange))
        extensions = {**response.extensions, EXCHANGE_EXTENSION: exchange}
        return self._lib.Response(response.status_code, headers=headers, stream=stream, extensions=extensions)

    def _client_options(self, request: Any) -> dict[str, Any]:
        timeout = request.extensions.get("timeout")
        if isinstance(timeout, dict) and set(timeout) == {"connect", "read", "write", "pool"}:
            return {"timeout": self._lib.Timeout(**timeout)}
        return {"timeout": self._lib.Timeout(_DEFAULT_TIMEOUT_S, connect=_CONNECT_TIMEOUT_S)}

    def _upstream_failure(self, exc: Exception, exchange: Exchange) -> Any:
        """An openai error from the shim's upstream call, as the HTTP answer (or error) it was."""
        import openai

        if isinstance(exc, openai.APIStatusError):
            response = exc.response
            content_type = response.headers.get("content-type", "application/json")
            body = response.content
            if content_type.split(";", 1)[0].strip().lower() == "application/json":
                body = rewrite_error(body) or body
            return self._response(response.status_code, content_type, body, exchange)
        if isinstance(exc, openai.APITimeoutError):
            raise self._lib.TimeoutException(str(exc)) from exc
        raise self._lib.ConnectError(str(exc)) from exc


class _SyncAdapter(_Base):
    """``httpx.BaseTransport``: the adapter around a sync transport."""

    def __init__(self, inner: Any = None, *, options: AdapterOptions | None = None) -> None:
        super().__init__(
            inner if inner is not None else self._lib.HTTPTransport(), options or AdapterOptions()
        )

    def handle_request(self, request: Any) -> Any:
        route = route_of(request.method, request.url.path)
        if route is None:
            return self._inner.handle_request(request)
        exchange = Exchange(route)
        body = request.read()
        if route == "transcriptions":
            return self._transcribe(request, body, exchange)
        if route == "speech":
            return self._speak(request, body, exchange)
        try:
            outgoing = rewrite_chat_request(body, self._options, exchange)
        except MimoAudioError as exc:
            return self._refusal(exc, exchange)
        response = self._inner.handle_request(self._outgoing(request, body, outgoing))
        kind = _answer_kind(response)
        if kind in ("json", "error"):
            data = response.read()
            response.close()
            return self._rewritten_json(response, data, exchange, error=kind == "error")
        if kind == "sse":
            return self._streamed(response, exchange)
        response.extensions[EXCHANGE_EXTENSION] = exchange
        return response

    def _transcribe(self, request: Any, body: bytes, exchange: Exchange) -> Any:
        def prepare() -> tuple[str, Any]:
            form = parse_form(body, request.headers.get("content-type", ""))
            return form.model, form

        return self._through_shim(request, exchange, "/audio/transcriptions", prepare, run_sync)

    def _speak(self, request: Any, body: bytes, exchange: Exchange) -> Any:
        def prepare() -> tuple[str, Any]:
            payload = parse_speech_body(body)
            return mimo_speech_model(payload), payload

        return self._through_shim(request, exchange, SPEECH_PATH, prepare, answer_speech)

    def _through_shim(
        self,
        request: Any,
        exchange: Exchange,
        path: str,
        prepare: Callable[[], tuple[str, Any]],
        run: Callable[[Any, Any], tuple[str, bytes]],
    ) -> Any:
        """Serve an endpoint MiMo lacks with one of our shims, on a client over the upstream transport."""
        import openai

        base, key = target(str(request.url), request.headers, path=path)
        borrowed = _classes(self._lib).borrowed(self._inner)
        try:
            exchange.model, job = prepare()
            with self._lib.Client(transport=borrowed, **self._client_options(request)) as http:
                client = openai.OpenAI(api_key=key, base_url=base, http_client=http, max_retries=0)
                content_type, data = run(job, client)
        except MimoAudioError as exc:
            return self._refusal(exc, exchange)
        except openai.APIError as exc:
            return self._upstream_failure(exc, exchange)
        return self._response(200, content_type, data, exchange)

    def close(self) -> None:
        self._inner.close()


class _AsyncAdapter(_Base):
    """``httpx.AsyncBaseTransport``: the adapter around an async transport."""

    def __init__(self, inner: Any = None, *, options: AdapterOptions | None = None) -> None:
        super().__init__(
            inner if inner is not None else self._lib.AsyncHTTPTransport(), options or AdapterOptions()
        )

    async def handle_async_request(self, request: Any) -> Any:
        import anyio.to_thread

        route = route_of(request.method, request.url.path)
        if route is None:
            return await self._inner.handle_async_request(request)
        exchange = Exchange(route)
        body = await request.aread()
        if route == "transcriptions":
            return await self._transcribe(request, body, exchange)
        if route == "speech":
            return await self._speak(request, body, exchange)
        try:
            if len(body) > _THREAD_BYTES:
                outgoing = await anyio.to_thread.run_sync(rewrite_chat_request, body, self._options, exchange)
            else:
                outgoing = rewrite_chat_request(body, self._options, exchange)
        except MimoAudioError as exc:
            return self._refusal(exc, exchange)
        response = await self._inner.handle_async_request(self._outgoing(request, body, outgoing))
        kind = _answer_kind(response)
        if kind in ("json", "error"):
            data = await response.aread()
            await response.aclose()
            return self._rewritten_json(response, data, exchange, error=kind == "error")
        if kind == "sse":
            return self._streamed(response, exchange)
        response.extensions[EXCHANGE_EXTENSION] = exchange
        return response

    async def _transcribe(self, request: Any, body: bytes, exchange: Exchange) -> Any:
        def prepare() -> tuple[str, Any]:
            form = parse_form(body, request.headers.get("content-type", ""))
            return form.model, form

        return await self._through_shim(request, exchange, "/audio/transcriptions", prepare, run_async)

    async def _speak(self, request: Any, body: bytes, exchange: Exchange) -> Any:
        def prepare() -> tuple[str, Any]:
            payload = parse_speech_body(body)
            return mimo_speech_model(payload), payload

        return await self._through_shim(request, exchange, SPEECH_PATH, prepare, answer_speech_async)

    async def _through_shim(
        self,
        request: Any,
        exchange: Exchange,
        path: str,
        prepare: Callable[[], tuple[str, Any]],
        run: Callable[[Any, Any], Awaitable[tuple[str, bytes]]],
    ) -> Any:
        """The async twin of ``_SyncAdapter._through_shim``."""
        import openai

        base, key = target(str(request.url), request.headers, path=path)
        borrowed = _classes(self._lib).async_borrowed(self._inner)
        try:
            exchange.model, job = prepare()
            async with self._lib.AsyncClient(transport=borrowed, **self._client_options(request)) as http:
                client = openai.AsyncOpenAI(api_key=key, base_url=base, http_client=http, max_retries=0)
                content_type, data = await run(job, client)
        except MimoAudioError as exc:
            return self._refusal(exc, exchange)
        except openai.APIError as exc:
            return self._upstream_failure(exc, exchange)
        return self._response(200, content_type, data, exchange)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _options(options: object) -> AdapterOptions:
    check_type(options, AdapterOptions, option="options", expected="an AdapterOptions", none=True)
    return options if isinstance(options, AdapterOptions) else AdapterOptions()


def mimo_transport(
    transport: object = None, *, options: AdapterOptions | None = None, library: str | None = None
) -> Any:
    """A sync transport applying MiMo's rules around ``transport`` (default: a new ``HTTPTransport``).

    ``transport`` is an ``httpx`` or ``httpx2`` ``BaseTransport``; the adapter is made for its
    library (``library=`` picks one when there is none to wrap). For a client of your own:
    ``httpx.Client(transport=mimo_transport(httpx.HTTPTransport(retries=2)))``.
    """
    lib = http_library(library, transport)
    return _classes(lib).transport(transport, options=_options(options))


def mimo_async_transport(
    transport: object = None, *, options: AdapterOptions | None = None, library: str | None = None
) -> Any:
    """The async twin of :func:`mimo_transport` (wraps an ``AsyncBaseTransport``)."""
    lib = http_library(library, transport)
    return _classes(lib).async_transport(transport, options=_options(options))


def _client_options(lib: ModuleType, client_options: dict[str, Any]) -> dict[str, Any]:
    client_options.setdefault("timeout", lib.Timeout(_DEFAULT_TIMEOUT_S, connect=_CONNECT_TIMEOUT_S))
    client_options.setdefault("follow_redirects", True)
    return client_options


@overload
def mimo_http_client(
    *,
    options: AdapterOptions | None = ...,
    transport: object = ...,
    library: Literal["httpx2"] | None = ...,
    **client_options: Any,
) -> httpx2.Client: ...
@overload
def mimo_http_client(
    *,
    options: AdapterOptions | None = ...,
    transport: object = ...,
    library: Literal["httpx"],
    **client_options: Any,
) -> httpx.Client: ...
def mimo_http_client(
    *,
    options: AdapterOptions | None = None,
    transport: object = None,
    library: str | None = None,
    **client_options: Any,
) -> Any:
    """An ``httpx.Client`` (``httpx2.Client`` under openai 3.x) that speaks MiMo's dialect.

    Hand it to anything that takes one: ``OpenAI(base_url=..., http_client=mimo_http_client())``,
    ``ChatOpenAI(http_client=...)``, ``litellm.client_session``. On the way out OpenAI-shaped
    audio parts become data URIs with the MIME from the bytes, ``max_tokens`` becomes
    ``max_completion_tokens``, and Whisper's ``audio/transcriptions`` and OpenAI's ``audio/speech``
    are served by our shims (MiMo has neither endpoint);
    on the way back an answer only ``reasoning_content`` holds is copied into ``content``
    (``options=AdapterOptions(reasoning_as_content=False)`` to keep MiMo's answer as it is).
    What the rules refuse gets a 400 in MiMo's error shape, never reaching MiMo.

    ``transport`` is the transport to wrap (connection options such as ``verify``, ``proxy``
    or ``retries`` go there); ``library`` is ``"httpx"`` or ``"httpx2"`` (default: what the
    installed ``openai`` uses); other keywords go to the client (``timeout``, ``headers``, ...).
    """
    lib = http_library(library, transport)
    adapter = _classes(lib).transport(transport, options=_options(options))
    return lib.Client(transport=adapter, **_client_options(lib, client_options))


@overload
def mimo_async_http_client(
    *,
    options: AdapterOptions | None = ...,
    transport: object = ...,
    library: Literal["httpx2"] | None = ...,
    **client_options: Any,
) -> httpx2.AsyncClient: ...
@overload
def mimo_async_http_client(
    *,
    options: AdapterOptions | None = ...,
    transport: object = ...,
    library: Literal["httpx"],
    **client_options: Any,
) -> httpx.AsyncClient: ...
def mimo_async_http_client(
    *,
    options: AdapterOptions | None = None,
    transport: object = None,
    library: str | None = None,
    **client_options: Any,
) -> Any:
    """The ``AsyncClient`` twin of :func:`mimo_http_client` (``AsyncOpenAI(http_client=...)``,
    ``ChatOpenAI(http_async_client=...)``, ``litellm.aclient_session``)."""
    lib = http_library(library, transport)
    adapter = _classes(lib).async_transport(transport, options=_options(options))
    return lib.AsyncClient(transport=adapter, **_client_options(lib, client_options))
