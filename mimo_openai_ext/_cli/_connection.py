"""How the commands that call MiMo connect: options, client, emulator, retry reporting.

``add_connection_arguments(parser)`` adds ``--base-url``, ``--api-key``, ``--offline``,
``--model``, ``--allow-retired`` (applied at the CLI's boundary, ``_cli.main``) and
``--timeout``; ``open_client(args)`` / ``open_async_client(args)`` yield a client for them
(``--offline`` starts the emulator in-process and runs the very same path against it),
closed on exit. ``retry_reporter()`` is the default retry policy (deadline ``--timeout``)
with one stderr line per retry. Used by ``ask``/``transcribe``, ``ask --split`` and ``batch``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._client import mimo_async_client, mimo_client
from .._config import DEFAULT_BASE_URL, DEFAULT_LIMITS, DEFAULT_MODEL, ENV_API_KEY, ENV_BASE_URL
from .._retry import DEFAULT_RETRY, RetryEvent, RetryPolicy
from ..emulator import run_emulator
from . import CliUsageError
from ._types import model_id, positive_float, positive_int

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI


__all__ = [
    "add_connection_arguments",
    "add_pace_arguments",
    "open_async_client",
    "open_client",
    "retry_reporter",
]


def add_pace_arguments(parser: argparse.ArgumentParser) -> None:
    """``--concurrency`` and ``--rpm``, as every command that sends many requests takes them."""
    parser.add_argument(
        "--concurrency", type=positive_int, default=8, metavar="N", help="requests at once (default: 8)"
    )
    parser.add_argument(
        "--rpm",
        type=positive_int,
        metavar="N",
        help=f"requests per minute, retries included (default: {DEFAULT_LIMITS.requests_per_minute})",
    )


def add_connection_arguments(
    parser: argparse.ArgumentParser, *, model_help: str | None = None, many_models: bool = False
) -> None:
    """Add ``--base-url``, ``--api-key``, ``--offline``, ``--model`` (default: None = the command's)
    and ``--timeout``.

    ``many_models``: ``--model`` may be repeated (a list); ``--allow-retired`` and ``--timeout``
    are left out.
    """

    group = parser.add_argument_group("connection")
    group.add_argument(
        "--base-url", metavar="URL", help=f"API base URL (default: ${ENV_BASE_URL}, else {DEFAULT_BASE_URL})"
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"API key (default: ${ENV_API_KEY}; prefer the variable: arguments show in process lists)",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        help="run against a MiMo emulator started in-process (no key, no network; answers are emulated)",
    )
    group.add_argument(
        "--model",
        type=model_id,
        metavar="M",
        action="append" if many_models else "store",
        help=model_help or f"model id (default: {DEFAULT_MODEL})",
    )
    if not many_models:  # (doctor has a --timeout of its own, per probe)
        add_allow_retired_argument(group)
        group.add_argument(
            "--timeout",
            type=positive_float,
            metavar="SECONDS",
            help=f"give up on a call after this long, retries and waits included (default: "
            f"{DEFAULT_RETRY.timeout_s:g}; per file in a batch)",
        )


def add_allow_retired_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--allow-retired``: send a --model the table says MiMo retired anyway (``allow_retired``)."""
    parser.add_argument(
        "--allow-retired",
        action="store_true",
        help="send --model even if the model table says MiMo retired it (the table can be wrong)",
    )


def _connection(
    args: argparse.Namespace,
    stack: contextlib.ExitStack | contextlib.AsyncExitStack,
    emulator_options: Mapping[str, Any] | None = None,
) -> tuple[str | None, str | None]:
    """``(api_key, base_url)`` for the options; ``--offline`` starts an emulator on ``stack``."""
    if not getattr(args, "offline", False):
        return args.api_key, args.base_url
    if args.base_url or args.api_key:
        raise CliUsageError("--offline talks to a local emulator: drop --base-url / --api-key")

    # loaded here, for --offline only: the other runs of these commands never pay for it
    emulator = stack.enter_context(run_emulator(**(emulator_options or {})))
    return emulator.api_key, emulator.base_url


@contextlib.contextmanager
def open_client(
    args: argparse.Namespace, *, emulator_options: Mapping[str, Any] | None = None
) -> Iterator[OpenAI]:
    """An ``OpenAI`` for the parsed connection options; closed (and the emulator stopped) on exit.

    ``emulator_options`` go to the emulator ``--offline`` starts (``rpm=100``, ...).
    """

    with contextlib.ExitStack() as stack:
        api_key, base_url = _connection(args, stack, emulator_options)
        client = mimo_client(api_key=api_key, base_url=base_url)
        stack.callback(client.close)
        yield client


@contextlib.asynccontextmanager
async def open_async_client(args: argparse.Namespace) -> AsyncIterator[AsyncOpenAI]:
    """The ``AsyncOpenAI`` twin of :func:`open_client`."""

    async with contextlib.AsyncExitStack() as stack:
        api_key, base_url = _connection(args, stack)
        client = mimo_async_client(api_key=api_key, base_url=base_url)
        stack.push_async_callback(client.close)
        yield client


def retry_reporter(attempts: int | None = None, *, timeout_s: float | None = None) -> RetryPolicy:
    """The default retry policy (``timeout_s``: ``--timeout``), printing one stderr line before each retry."""
    total = attempts or DEFAULT_RETRY.attempts

    def report(event: RetryEvent) -> None:
        status = getattr(event.exception, "status_code", None)
        what = f"HTTP {status}" if isinstance(status, int) else _error_kind(event.exception)
        print(
            f"mimo-audio: retrying after {what} in {event.wait_s:.1f} s "
            f"(attempt {event.attempt + 1} of {total})",
            file=sys.stderr,
            flush=True,
        )

    deadline = DEFAULT_RETRY.timeout_s if timeout_s is None else timeout_s
    return dataclasses.replace(DEFAULT_RETRY, attempts=total, timeout_s=deadline, on_retry=report)


def _error_kind(exc: BaseException) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "a timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "a connection error"
    return type(exc).__name__
