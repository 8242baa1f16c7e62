"""``mimo-audio ask`` and ``mimo-audio transcribe``, plus the connection options other commands reuse.

``add_connection_arguments(parser)`` adds ``--base-url``, ``--api-key``, ``--offline`` and
``--model``; ``open_client(args)`` / ``open_async_client(args)`` yield a client for them
(``--offline`` starts the emulator in-process and runs the very same path against it).
``report_api_errors(args)`` turns an ``openai`` error into one line and exit code 1; the
API key is masked in everything printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

    from .._answer import Answer
    from .._usage import UsageReport

__all__ = [
    "add_connection_arguments",
    "describe_api_error",
    "open_async_client",
    "open_client",
    "register",
    "report_api_errors",
]

EXIT_API_ERROR = 1
EXIT_USAGE = 2


class _CliUsageError(Exception):
    """A command-line mistake: printed as one line, exit 2."""


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


def _check_offline(args: argparse.Namespace) -> None:
    if getattr(args, "offline", False) and (args.base_url or args.api_key):
        raise _CliUsageError("--offline talks to a local emulator: drop --base-url / --api-key")


@contextlib.contextmanager
def open_client(args: argparse.Namespace) -> Iterator[OpenAI]:
    """An ``OpenAI`` for the parsed connection options; closed (and the emulator stopped) on exit."""
    from .._client import mimo_client

    _check_offline(args)
    with contextlib.ExitStack() as stack:
        if args.offline:
            from .._emulator import run_emulator

            emulator = stack.enter_context(run_emulator())
            client = mimo_client(api_key=emulator.api_key, base_url=emulator.base_url)
        else:
            client = mimo_client(api_key=args.api_key, base_url=args.base_url)
        stack.callback(client.close)
        yield client


@contextlib.asynccontextmanager
async def open_async_client(args: argparse.Namespace) -> AsyncIterator[AsyncOpenAI]:
    """The ``AsyncOpenAI`` twin of :func:`open_client`."""
    from .._client import mimo_async_client

    _check_offline(args)
    async with contextlib.AsyncExitStack() as stack:
        if args.offline:
            from .._emulator import run_emulator

            emulator = stack.enter_context(run_emulator())
            client = mimo_async_client(api_key=emulator.api_key, base_url=emulator.base_url)
        else:
            client = mimo_async_client(api_key=args.api_key, base_url=args.base_url)
        stack.push_async_callback(client.close)
        yield client


def _secrets(args: argparse.Namespace) -> list[str]:
    from .._config import ENV_API_KEY

    found = [getattr(args, "api_key", None), os.environ.get(ENV_API_KEY)]
    return [s.strip() for s in found if s and len(s.strip()) >= 4]


def _mask(text: str, secrets: list[str]) -> str:
    """Replace each key, and any leading piece of it past its kind prefix, with ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
        kind = secret.split("-", 1)[0] + "-" if "-" in secret[:4] else ""
        for length in range(len(secret) - 1, max(len(kind) + 3, 6) - 1, -1):
            if secret[:length] in text:
                text = text.replace(secret[:length], kind + "***")
    return text


def describe_api_error(exc: BaseException) -> str:
    """One line: status, MiMo's message and detail, what to do."""
    from .._retry import api_error_detail, api_error_hint

    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(status, int):
        head = f"HTTP {status}" + (f" {message}" if isinstance(message, str) and message else "")
    else:
        head = str(getattr(exc, "message", "") or type(exc).__name__).rstrip(".")
    detail = api_error_detail(exc)
    if detail and detail != message:
        head += f": {detail}"
    return f"{head}; {api_error_hint(exc)}"


@contextlib.contextmanager
def report_api_errors(args: argparse.Namespace, *, stream: TextIO | None = None) -> Iterator[list[int]]:
    """Catch ``openai`` errors (one line, exit 1) and CLI mistakes (exit 2); mask the key.

    Yields a one-item list holding the exit code to return (0 when nothing went wrong).
    Warnings print as ``mimo-audio: warning: ...``.
    """
    import openai

    from .._exceptions import MimoAudioError

    out = stream or sys.stderr
    secrets = _secrets(args)
    code = [0]

    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        print(_mask(f"mimo-audio: warning: {message}", secrets), file=out)

    with warnings.catch_warnings():
        warnings.showwarning = show
        try:
            yield code
        except openai.APIError as exc:
            print(_mask(f"mimo-audio: error: {describe_api_error(exc)}", secrets), file=out)
            code[0] = EXIT_API_ERROR
        except _CliUsageError as exc:
            print(_mask(f"mimo-audio: error: {exc}", secrets), file=out)
            code[0] = EXIT_USAGE
        except MimoAudioError as exc:
            print(_mask(f"mimo-audio: error: {exc}", secrets), file=out)
            code[0] = EXIT_USAGE


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
            raise _CliUsageError('with --sample give only the question: mimo-audio ask --sample "QUESTION"')
        return [str(sample_audio_path())], items[0]
    if len(items) < 2:
        raise _CliUsageError(
            'give the audio and a question: mimo-audio ask FILE_OR_URL... "QUESTION" (or --sample)'
        )
    question = items[-1]
    if not question.strip():
        raise _CliUsageError("the question is empty: ask something about the audio")
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

    with report_api_errors(args) as code:
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
    return code[0]


def _run_transcribe(args: argparse.Namespace) -> int:
    from .._config import DEFAULT_ASR_MODEL
    from .._transcribe import transcribe

    with report_api_errors(args) as code:
        if args.sample == bool(args.file):
            raise _CliUsageError("give one audio FILE to transcribe, or --sample")
        if args.sample:
            from .._sample import sample_audio_path

            source = str(sample_audio_path())
        else:
            source = args.file
        with open_client(args) as client:
            transcript = transcribe(
                client, source, language=args.language, model=args.model or DEFAULT_ASR_MODEL
            )
        if args.json:
            print(json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False))
        else:
            print(transcript.text)
            print(_usage_line(transcript.usage), file=sys.stderr)
    return code[0]


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
        "--max-completion-tokens", type=_positive_int, metavar="N", help="cap the answer's tokens"
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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(subparsers: Any) -> None:
    """Add ``ask`` and ``transcribe`` to the ``mimo-audio`` parser."""
    _add_ask(subparsers)
    _add_transcribe(subparsers)
