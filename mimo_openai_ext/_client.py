"""Building a MiMo client, checking the one a call was given, and the one retried ``create``.

``check_client(client, sync=..., call=...)``: the call needs ``openai.OpenAI`` (sync) or
``openai.AsyncOpenAI`` (async); anything else (the other kind, a path passed first, ...)
raises :class:`InvalidClientError` (a ``TypeError``) naming the right call.

``mimo_client()`` / ``mimo_async_client()`` return plain ``openai.OpenAI`` /
``AsyncOpenAI`` objects: arguments first, then ``MIMO_API_KEY`` / ``MIMO_BASE_URL``,
then the default pay-as-you-go URL. Helpers that take a client never modify it: retried
calls go through ``client.with_options(max_retries=0)``, a copy.
"""

from __future__ import annotations

import inspect
import json
import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import urlsplit

from ._api_errors import surface_detail
from ._checks import check_str
from ._config import (
    DEFAULT_BASE_URL,
    ENV_API_KEY,
    ENV_BASE_URL,
    PAY_AS_YOU_GO_KEY_PREFIX,
    TOKEN_PLAN_HOST_MARK,
    TOKEN_PLAN_KEY_PREFIXES,
)
from ._deadline import enclosing_deadline
from ._exceptions import InvalidClientError, InvalidOptionError, KeyHostMismatchWarning, MissingAPIKeyError
from ._response import check_completion, not_json_error
from ._retry import RetryPolicy, run_with_retry, run_with_retry_async

if TYPE_CHECKING:
    from openai import AsyncOpenAI, AsyncStream, OpenAI, Stream
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

__all__ = [
    "attempt_kwargs",
    "check_base_url",
    "check_client",
    "check_key_host",
    "client_key",
    "create_completion",
    "create_completion_async",
    "mimo_async_client",
    "mimo_client",
    "resolve_connection",
]

_PAY_AS_YOU_GO_HOST = urlsplit(DEFAULT_BASE_URL).hostname or ""


def _create_of(client: object) -> object:
    return getattr(getattr(getattr(client, "chat", None), "completions", None), "create", None)


def _is_async_client(client: object, create: object) -> bool:
    import openai

    if isinstance(client, openai.AsyncOpenAI):
        return True
    if isinstance(client, openai.OpenAI):
        return False
    func = inspect.unwrap(create) if callable(create) else create
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(create)


def check_client(client: object, *, sync: bool, call: str, twin: str | None = None) -> None:
    """Raise :class:`InvalidClientError` unless ``client`` is the kind of openai client ``call`` needs."""
    if twin is None:
        twin = call[: -len("_async")] if call.endswith("_async") else f"{call}_async"
    want = "a sync openai.OpenAI" if sync else "an openai.AsyncOpenAI"
    create = _create_of(client)
    found = type(client).__name__
    if not callable(create) or not callable(getattr(client, "with_options", None)):
        shown = repr(client) if isinstance(client, (str, bytes, os.PathLike)) else found
        raise InvalidClientError(
            f"{call}() needs {want} client as its first argument, got {shown[:80]}: call "
            f"{call}(client, ...) with a client from mimo_client()"
            f"{'' if sync else ' / mimo_async_client()'}"
            f"{' (the client comes first, then the audio)' if isinstance(client, (str, os.PathLike)) else ''}"
        )
    is_async = _is_async_client(client, create)
    if is_async == sync:
        raise InvalidClientError(
            f"{call}() needs {want} client, got {found} "
            f"({'async' if is_async else 'sync'}): use {twin}() with this client, or "
            f"{'mimo_client()' if sync else 'mimo_async_client()'} for {call}()"
        )


def resolve_connection(
    api_key: str | None = None,
    base_url: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stacklevel: int = 2,
) -> tuple[str, str]:
    """``(api_key, base_url)`` from the arguments, then the environment, then the default URL.

    ``stacklevel`` is passed on to the mismatch warning (2: the caller of this function).
    """
    check_str(api_key, option="api_key", none=True, empty=True)
    check_str(base_url, option="base_url", none=True, empty=True)
    env = os.environ if environ is None else environ
    key = (api_key if api_key is not None else env.get(ENV_API_KEY, "")).strip()
    if not key:
        raise MissingAPIKeyError(
            "no MiMo API key: pass api_key=... (or --api-key on the command line) or set the "
            f"{ENV_API_KEY} environment variable; create a key in the MiMo console "
            "(https://platform.xiaomimimo.com); on the command line, --offline tries a command "
            "without one (on the local emulator)"
        )
    url = (base_url or env.get(ENV_BASE_URL, "") or DEFAULT_BASE_URL).strip()
    check_base_url(url, given_as="base_url" if base_url else ENV_BASE_URL)
    check_key_host(key, url, stacklevel=stacklevel + 1)
    return key, url


def check_base_url(url: str, *, given_as: str = "base_url") -> None:
    """Refuse (:class:`InvalidOptionError`) a base URL no request could ever be sent to."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a port that is not a number, brackets that do not close, ...
        parts, port_ok = None, False
    if parts is not None and port_ok and parts.scheme in ("http", "https") and parts.hostname:
        return
    raise InvalidOptionError(
        f"{given_as} {url[:100]!r} is not an http(s) URL with a host: use e.g. {DEFAULT_BASE_URL} "
        "(--base-url on the command line, or the MIMO_BASE_URL environment variable)",
        option="base_url",
    )


def check_key_host(api_key: str, base_url: str, *, stacklevel: int = 2) -> None:
    """Warn (``KeyHostMismatchWarning``) when a key's kind does not match the host's kind.

    MiMo answers 401 "Invalid API Key" to a Token Plan key (``tp-``/``ttp-``) on the
    pay-as-you-go host, and to an ``sk-`` key on a ``token-plan-*`` host. Other hosts
    (gateways, the local emulator) are not checked. The key itself is never printed.
    """
    host = (urlsplit(base_url).hostname or "").lower()
    if api_key.startswith(TOKEN_PLAN_KEY_PREFIXES) and host == _PAY_AS_YOU_GO_HOST:
        prefix = api_key.split("-", 1)[0] + "-"
        warnings.warn(
            f"a Token Plan key ({prefix}...) is being sent to the pay-as-you-go host {host}; MiMo "
            "will answer 401: use your plan's https://token-plan-{cn,sgp,ams}.xiaomimimo.com/v1 "
            f"as base_url ({ENV_BASE_URL}), or an sk- key",
            KeyHostMismatchWarning,
            stacklevel=stacklevel,
        )
    elif api_key.startswith(PAY_AS_YOU_GO_KEY_PREFIX) and host.startswith(TOKEN_PLAN_HOST_MARK):
        warnings.warn(
            f"a pay-as-you-go key (sk-...) is being sent to the Token Plan host {host}; MiMo will "
            f"answer 401: use base_url={DEFAULT_BASE_URL} ({ENV_BASE_URL}), or a tp-/ttp- key",
            KeyHostMismatchWarning,
            stacklevel=stacklevel,
        )


def mimo_client(*, api_key: str | None = None, base_url: str | None = None, **client_options: Any) -> OpenAI:
    """An ``openai.OpenAI`` for MiMo. Extra keyword options go to ``OpenAI(...)``.

    Raises ``MissingAPIKeyError`` when neither ``api_key`` nor ``MIMO_API_KEY`` is set;
    warns ``KeyHostMismatchWarning`` (before any request) on a key/host kind mismatch.
    """
    from openai import OpenAI

    key, url = resolve_connection(api_key, base_url, stacklevel=3)
    return OpenAI(api_key=key, base_url=url, **client_options)


def mimo_async_client(
    *, api_key: str | None = None, base_url: str | None = None, **client_options: Any
) -> AsyncOpenAI:
    """The ``openai.AsyncOpenAI`` twin of :func:`mimo_client`."""
    from openai import AsyncOpenAI

    key, url = resolve_connection(api_key, base_url, stacklevel=3)
    return AsyncOpenAI(api_key=key, base_url=url, **client_options)


def _capped(configured: object, left_s: float) -> object:
    """A timeout no longer than ``left_s``: a number, None, or an httpx ``Timeout`` (each phase)."""
    if configured is None:
        return left_s
    if isinstance(configured, (int, float)) and not isinstance(configured, bool):
        return min(float(configured), left_s)
    phases = ("connect", "read", "write", "pool")
    if all(hasattr(configured, p) for p in phases):
        values = {p: getattr(configured, p) for p in phases}
        try:
            return type(configured)(**{p: left_s if v is None else min(v, left_s) for p, v in values.items()})
        except (TypeError, ValueError):
            return left_s
    return left_s


def attempt_kwargs(client: object, create_kwargs: dict[str, Any]) -> dict[str, Any]:
    """``create_kwargs`` with ``timeout=`` cut to the time left before the enclosing deadline.

    The SDK's timeout bounds each read; the retry layer enforces the total. Without a
    deadline the kwargs are returned as they are.
    """
    deadline = enclosing_deadline()
    if deadline is None:
        return create_kwargs
    left_s = max(deadline.left_s(), 0.001)
    configured = create_kwargs["timeout"] if "timeout" in create_kwargs else getattr(client, "timeout", None)
    return {**create_kwargs, "timeout": _capped(configured, left_s)}


def _secrets(client: object) -> list[str]:
    key = client_key(client)
    return [key] if key else []


def _close(result: object) -> None:
    """Close a stream nobody will read (it arrived after the deadline)."""
    close = getattr(result, "close", None)
    if callable(close):
        close()


@overload
def create_completion(
    client: OpenAI, *, stream: Literal[True], retry: RetryPolicy | None = None, **create_kwargs: Any
) -> Stream[ChatCompletionChunk]: ...
@overload
def create_completion(
    client: OpenAI, *, stream: Literal[False] = False, retry: RetryPolicy | None = None, **create_kwargs: Any
) -> ChatCompletion: ...
def create_completion(
    client: OpenAI, *, stream: bool = False, retry: RetryPolicy | None = None, **create_kwargs: Any
) -> ChatCompletion | Stream[ChatCompletionChunk]:
    """``client.chat.completions.create(**create_kwargs)`` under one retry layer.

    The SDK's own retries are off for this call (``with_options(max_retries=0)`` on a
    copy), so ``retry.attempts`` is the number of requests on the wire. ``retry.timeout_s``
    is a deadline over the whole call (:class:`DeadlineExceededError`); each attempt's SDK
    timeout is cut to the time left. A completion is validated before it is returned: a
    body that is not one raises :class:`InvalidResponseError` (retried like a 5xx). A
    stream is retried only until its response starts; once handed over it is never
    re-sent (use ``stream_completion`` to have its chunks checked and its deadline kept).
    The client's key is masked in a raised exception, should the server echo it; a "model
    not found / retired" answer also says what ``MODELS`` knows of the model (date, successor).
    """
    check_client(client, sync=True, call="create_completion")
    quiet = client.with_options(max_retries=0)
    create = quiet.chat.completions.create
    if stream:
        create_kwargs["stream"] = True
    key = client_key(client)
    secrets = _secrets(client)

    def attempt() -> ChatCompletion | Stream[ChatCompletionChunk]:
        try:
            result: ChatCompletion | Stream[ChatCompletionChunk] = create(
                **attempt_kwargs(quiet, create_kwargs)
            )
        except json.JSONDecodeError as exc:
            error = not_json_error(exc, secrets=secrets)
        else:
            return result if stream else check_completion(result, secrets=secrets)
        raise error  # outside the except: the decode error (the whole body) is not its context

    try:
        return run_with_retry(attempt, retry=retry, api_key=key, on_abandon=_close)
    except Exception as exc:  # "model not found / retired": add what the table knows
        surface_detail(exc, (key,), model=create_kwargs.get("model"))
        raise


@overload
async def create_completion_async(
    client: AsyncOpenAI, *, stream: Literal[True], retry: RetryPolicy | None = None, **create_kwargs: Any
) -> AsyncStream[ChatCompletionChunk]: ...
@overload
async def create_completion_async(
    client: AsyncOpenAI,
    *,
    stream: Literal[False] = False,
    retry: RetryPolicy | None = None,
    **create_kwargs: Any,
) -> ChatCompletion: ...
async def create_completion_async(
    client: AsyncOpenAI, *, stream: bool = False, retry: RetryPolicy | None = None, **create_kwargs: Any
) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
    """The async twin of :func:`create_completion` (an attempt running at the deadline is cancelled)."""
    check_client(client, sync=False, call="create_completion_async")
    quiet = client.with_options(max_retries=0)
    create = quiet.chat.completions.create
    if stream:
        create_kwargs["stream"] = True
    key = client_key(client)
    secrets = _secrets(client)

    async def attempt() -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        try:
            result: ChatCompletion | AsyncStream[ChatCompletionChunk] = await create(
                **attempt_kwargs(quiet, create_kwargs)
            )
        except json.JSONDecodeError as exc:
            error = not_json_error(exc, secrets=secrets)
        else:
            return result if stream else check_completion(result, secrets=secrets)
        raise error  # outside the except: the decode error (the whole body) is not its context

    try:
        result: ChatCompletion | AsyncStream[ChatCompletionChunk] = await run_with_retry_async(
            attempt, retry=retry, api_key=key
        )
    except Exception as exc:  # "model not found / retired": add what the table knows
        surface_detail(exc, (key,), model=create_kwargs.get("model"))
        raise
    return result


def client_key(client: object) -> str | None:
    """The client's API key, to mask in errors (``None`` when it holds no plain key)."""
    key = getattr(client, "api_key", None)
    return key if isinstance(key, str) else None
