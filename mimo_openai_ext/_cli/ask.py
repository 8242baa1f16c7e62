"""``mimo-audio ask`` and ``mimo-audio transcribe``, plus the connection options other commands reuse.

``add_connection_arguments(parser)`` adds ``--base-url``, ``--api-key``, ``--offline`` and
``--model``; ``open_client(args)`` / ``open_async_client(args)`` yield a client for them
(``--offline`` starts the emulator in-process and runs the very same path against it).
Errors are raised and become one line at the CLI's single boundary, ``_cli.main``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from . import CliUsageError
from ._types import positive_int

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

    from .._answer import Answer
    from .._usage import UsageReport

__all__ = [
    "add_connection_arguments",
    "open_async_client",
    "open_client",
    "register",
]


def add_connection_arguments(parser: argparse.ArgumentParser, *, model_help: str | None = None) -> None:
    """Add ``--base-url``, ``--api-key``, ``--offline`` and ``--model`` (default: None = the command's)."""
    from .._config import DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL

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
    group.add_argument("--model", metavar="M", help=model_help or "model id (default: mimo-v2.5)")


def _connection(
    args: argparse.Namespace, stack: contextlib.ExitStack | contextlib.AsyncExitStack
) -> tuple[str | None, str | None]:
    """``(api_key, base_url)`` for the options; ``--offline`` starts an emulator on ``stack``."""
    if not getattr(args, "offline", False):
        return args.api_key, args.base_url
    if args.base_url or args.api_key:
        raise CliUsageError("--offline talks to a local emulator: drop --base-url / --api-key")
    from .._emulator import run_emulator

    emulator = stack.enter_context(run_emulator())
    return emulator.api_key, emulator.base_url


@contextlib.contextmanager
def open_client(args: argparse.Namespace) -> Iterator[OpenAI]:
    """An ``OpenAI`` for the parsed connection options; closed (and the emulator stopped) on exit."""
    from .._client import mimo_client

    with contextlib.ExitStack() as stack:
        api_key, base_url = _connection(args, stack)
        client = mimo_client(api_key=api_key, base_url=base_url)
        stack.callback(client.close)
        yield client


@contextlib.asynccontextmanager
async def open_async_client(args: argparse.Namespace) -> AsyncIterator[AsyncOpenAI]:
    """The ``AsyncOpenAI`` twin of :func:`open_client`."""
    from .._client import mimo_async_client

    async with contextlib.AsyncExitStack() as stack:
        api_key, base_url = _connection(args, stack)
        client = mimo_async_client(api_key=api_key, base_url=base_url)
        stack.push_async_callback(client.close)
        yield client


def _usage_line(usage: UsageReport) -> str:
    cost = f"${usage.cost_usd:.6f}" if usage.cost_usd is not None else "cost unknown"
    return (
        f"[{usage.model}: {usage.prompt_tokens} prompt tokens ({usage.audio_tokens} audio, "
        f"{usage.cached_tokens} cached), {usage.completion_tokens} completion "
        f"({usage.reasoning_tokens} reasoning); {cost}]"
    )


def _split_positionals(args: argparse.Namespace) -> tuple[list[str], str]:
    items = list(args.items)
    if args.sample:
        from .._sample import sample_audio_path

        if len(items) != 1:
            raise CliUsageError('with --sample give only the question: mimo-audio ask --sample "QUESTION"')
        return [str(sample_audio_path())], items[0]
    if len(items) < 2:
        raise CliUsageError(
            'give the audio and a question: mimo-audio ask FILE_OR_URL... "QUESTION" (or --sample)'
        )
    question = items[-1]
    if not question.strip():
        raise CliUsageError("the question is empty: ask something about the audio")
    return items[:-1], question


def _print_stream(client: OpenAI, audio: list[str], question: str, options: dict[str, Any]) -> Answer:
    from .._ask import ask_stream

    printed = reasoning_open = False
    with ask_stream(client, audio, question, **options) as stream:
        for delta in stream:
            if delta.kind == "reasoning":
                print(delta.text, end="", file=sys.stderr, flush=True)
                reasoning_open = True
                continue
            if reasoning_open:  # end the reasoning's line before the answer starts
                print(file=sys.stderr, flush=True)
                reasoning_open = False
            print(delta.text, end="", flush=True)
            printed = True
        answer = stream.answer()
    if reasoning_open:
        print(file=sys.stderr, flush=True)
    print(answer.text if not printed else "")
    return answer


def _run_ask(args: argparse.Namespace) -> int:
    from .._config import DEFAULT_MODEL

    audio, question = _split_positionals(args)
    options: dict[str, Any] = {
        "model": args.model or DEFAULT_MODEL,
        "thinking": not args.no_thinking,
        "max_completion_tokens": args.max_completion_tokens,
        "convert": args.convert,
    }
    with open_client(args) as client:
        if args.split:
            from .fit import ask_split

            answer = ask_split(client, audio, question, options, args)
        elif args.stream:
            answer = _print_stream(client, audio, question, options)
        else:
            from .._ask import ask

            answer = ask(client, audio, question, **options)
            if args.json:
                print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
            else:
                print(answer.text)
    if not args.json:
        print(_usage_line(answer.usage), file=sys.stderr)
    return 0


def _run_transcribe(args: argparse.Namespace) -> int:
    from .._config import DEFAULT_ASR_MODEL
    from .._transcribe import transcribe

    if args.sample == bool(args.file):
        raise CliUsageError("give one audio FILE to transcribe, or --sample")
    if args.sample:
        from .._sample import sample_audio_path

        source = str(sample_audio_path())
    else:
        source = args.file
    with open_client(args) as client:
        transcript = transcribe(client, source, language=args.language, model=args.model or DEFAULT_ASR_MODEL)
    if args.json:
        print(json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(transcript.text)
        print(_usage_line(transcript.usage), file=sys.stderr)
    return 0


def _add_ask(sub: Any) -> None:
    parser = sub.add_parser(
        "ask",
        help="ask MiMo a question about audio files or URLs",
        description="Send audio (files or http(s) URLs) and a question to MiMo; print the answer.",
    )
    parser.add_argument(
        "items", nargs="+", metavar='FILE_OR_URL... "QUESTION"', help="audio, then the question"
    )
    parser.add_argument(
        "--sample", action="store_true", help="use the short speech sample shipped in the package"
    )
    parser.add_argument(
        "--no-thinking", action="store_true", help="turn MiMo's thinking off (faster, cheaper)"
    )
    parser.add_argument(
        "--convert",
        action="store_true",
        help="convert formats MiMo refuses (AAC, WebM, ...) before sending (needs the convert extra)",
    )
    parser.add_argument(
        "--max-completion-tokens", type=positive_int, metavar="N", help="cap the answer's tokens"
    )
    from .fit import add_split_arguments

    add_split_arguments(parser)
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--stream", action="store_true", help="print the answer as it arrives (reasoning to stderr)"
    )
    shown.add_argument(
        "--json", action="store_true", help="print answer, reasoning, usage, estimate and cost as JSON"
    )
    add_connection_arguments(parser)
    parser.set_defaults(func=_run_ask)


def _add_transcribe(sub: Any) -> None:
    from .._config import ASR_LANGUAGES, DEFAULT_ASR_MODEL

    parser = sub.add_parser(
        "transcribe",
        help="transcribe a WAV/MP3 with MiMo's ASR model",
        description=f"Transcribe one WAV or MP3 file with {DEFAULT_ASR_MODEL}.",
    )
    parser.add_argument(
        "file", nargs="?", metavar="FILE", help="a WAV or MP3 file (convert others: mimo-audio fit)"
    )
    parser.add_argument(
        "--sample", action="store_true", help="use the short speech sample shipped in the package"
    )
    parser.add_argument(
        "--language", choices=ASR_LANGUAGES, default="auto", help="spoken language (default: auto)"
    )
    parser.add_argument("--json", action="store_true", help="print the transcript and usage as JSON")
    add_connection_arguments(parser, model_help=f"ASR model id (default: {DEFAULT_ASR_MODEL})")
    parser.set_defaults(func=_run_transcribe)


def register(subparsers: Any) -> None:
    """Add ``ask`` and ``transcribe`` to the ``mimo-audio`` parser."""
    _add_ask(subparsers)
    _add_transcribe(subparsers)
