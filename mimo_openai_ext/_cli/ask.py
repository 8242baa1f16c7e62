"""``mimo-audio ask``.

``ask`` sends audio (files, URLs, ``-`` for stdin, ``--sample``) and a question (the last
argument, or ``-q``), and prints the answer (``--stream``, ``--json``; ``--split`` for long
audio via ``fit``); several ``-q`` ask them one after another about the same audio, the way
``audio_chat`` does, so the audio is billed at the cache price after the first. It
connects through ``_connection`` (``--base-url``, ``--api-key``, ``--offline``,
``--model``). Errors are raised and become one line at the CLI's single boundary,
``_cli.main``. (``transcribe`` has a module of its own.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any

from .._across import ask_across_chunks
from .._answer import TRUNCATED_FINISH_REASONS, Answer
from .._ask import ask, ask_stream
from .._audio.source import is_url
from .._chat import audio_chat
from .._config import (
    AUDIO_FORMATS,
    CONVERTIBLE_EXTENSIONS,
    DEFAULT_MODEL,
    REASONING_EFFORTS,
)
from .._exceptions import (
    DeadlineExceededError,
    IncompleteStreamError,
    TruncatedAnswerWarning,
    UnsupportedFeatureError,
)
from .._sample import sample_audio_path
from .._usage import UsageReport
from . import CliUsageError
from ._connection import add_connection_arguments, open_client, retry_reporter
from ._stdin import is_stdin, stdin_file
from ._types import positive_float, positive_int

if TYPE_CHECKING:
    from openai import OpenAI


__all__ = ["EXIT_TRUNCATED", "register", "usage_line"]


EXIT_TRUNCATED = 3
"""``ask``: the answer was printed, but MiMo cut it short (``finish_reason`` ``length`` / ...)."""

_ASK_EPILOG = """\
'-' as FILE reads the audio from standard input. The question is the last argument, or
-q "QUESTION"; several -q ask each about the same audio, in order (the audio is billed at
MiMo's cache price after the first).

exit status:
  0  the answer was printed
  1  the API call failed (HTTP error, connection error)
  2  a usage or audio mistake (bad option, refused format, too large, ...)
  3  the answer was printed but MiMo cut it short (finish_reason "length" or
     "repetition_truncation"): raise --max-completion-tokens or use --no-thinking
"""


def _truncated(answer: Any, args: argparse.Namespace) -> bool:
    """Print the explicit "cut" line for a truncated answer; True if it was cut."""

    reason = getattr(answer, "finish_reason", None)
    if reason not in TRUNCATED_FINISH_REASONS:
        return False
    if reason == "length":
        cap = args.max_completion_tokens
        where = f"--max-completion-tokens {cap}" if cap else "the model's completion limit"
        fix = "raise the limit" if cap else "ask for less"
        if not args.no_thinking:
            fix += ", or add --no-thinking (thinking uses the same budget)"
        line = f"answer cut at {where} (finish_reason=length): {fix}"
    else:
        line = f"answer cut (finish_reason={reason}): MiMo stopped a repeating answer; rephrase the question"
    print(f"mimo-audio: warning: {line}; exit status {EXIT_TRUNCATED}", file=sys.stderr)
    return True


def usage_line(usage: UsageReport) -> str:
    cost = f"${usage.cost_usd:.6f}" if usage.cost_usd is not None else "cost unknown"
    if usage.cached_tokens and usage.cache_saving_usd:
        cost += f", the cache saved ${usage.cache_saving_usd:.6f}"
    return (
        f"[{usage.model}: {usage.prompt_tokens} prompt tokens ({usage.audio_tokens} audio, "
        f"{usage.cached_tokens} cached), {usage.completion_tokens} completion "
        f"({usage.reasoning_tokens} reasoning); {cost}]"
    )


_AUDIO_EXTENSIONS = (
    tuple(e for spec in AUDIO_FORMATS.values() for e in spec.extensions) + CONVERTIBLE_EXTENSIONS
)


def _not_a_question(text: str) -> str | None:
    """Why ``text`` looks like audio rather than a question (None when it reads as a question)."""
    if is_stdin(text):
        return "is '-' (standard input)"
    if is_url(text):
        return "is a URL"
    if os.path.isfile(text):
        return "is an existing file"
    if not any(c.isspace() for c in text) and text.lower().endswith(_AUDIO_EXTENSIONS):
        return "looks like an audio file name"
    return None


def _reads_as_question(text: str) -> bool:
    """Words, or a question mark: a question, not a file name (checked only when no such file exists)."""
    return any(c.isspace() for c in text) or text.rstrip().endswith(("?", "\uff1f"))  # and full-width


def _split_positionals(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The audio arguments and the questions (every -q, else the last argument)."""
    audio, questions = _with_q(args) if args.question else _last_is_question(args)
    if sum(is_stdin(a) for a in audio) > 1:
        raise CliUsageError("'-' (standard input) can be given only once")
    return audio, questions


def _with_q(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """-q given: every question is one, every other argument is audio."""
    items, questions = list(args.items), list(args.question)
    if any(not q.strip() for q in questions):
        raise CliUsageError('-q/--question is empty: ask something, e.g. -q "What is said?"')
    if args.sample:
        if items:
            raise CliUsageError(f"{items[0]}: with --sample and -q, give no FILE (the sample is the audio)")
        return [str(sample_audio_path())], questions
    if not items:
        raise CliUsageError('give the audio: mimo-audio ask FILE_OR_URL... -q "QUESTION"')
    stray = next((a for a in items if _not_a_question(a) is None and _reads_as_question(a)), None)
    if stray is not None:
        raise CliUsageError(
            f"{stray!r} is not a file but reads as a question, and -q gave the question too: a question "
            "given twice; with -q every other argument is audio, so pass each question with -q (nothing "
            "was sent)"
        )
    return items, questions


def _last_is_question(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """No -q: the last argument is the question, unless it looks like audio (a forgotten question)."""
    items = list(args.items)
    if args.sample:
        if len(items) != 1:
            raise CliUsageError('with --sample give only the question: mimo-audio ask --sample "QUESTION"')
        audio, question = [str(sample_audio_path())], items[0]
    elif len(items) < 2:
        raise CliUsageError(
            'give the audio and a question: mimo-audio ask FILE_OR_URL... "QUESTION" '
            '(or -q "QUESTION", or --sample)'
        )
    else:
        audio, question = items[:-1], items[-1]
    why = _not_a_question(question)
    if why is not None:
        raise CliUsageError(
            f"the last argument {question!r} {why}, not a question; nothing was sent. Put the question "
            'last, or pass it with -q "QUESTION"'
        )
    if not question.strip():
        raise CliUsageError("the question is empty: ask something about the audio")
    return audio, [question]


def _check_split_options(args: argparse.Namespace, audio: list[str]) -> None:

    if not args.split:
        split_only = (("--max-duration", args.max_duration), ("--no-combine", args.no_combine))
        used = [flag for flag, given in split_only if given]
        if used:
            raise CliUsageError(f"{' and '.join(used)} need{'s' * (len(used) == 1)} --split")
        return
    urls = [a for a in audio if is_url(a)]
    if urls:
        raise CliUsageError(
            f"{urls[0]}: a URL is sent to MiMo as it is and cannot be split locally; "
            'download it first, then: mimo-audio ask FILE "QUESTION" --split'
        )


def _sources(audio: list[str]) -> list[Any]:
    """The audio arguments, with '-' replaced by the standard input's bytes (named <stdin>)."""
    return [stdin_file() if is_stdin(a) else a for a in audio]


def _print_stream(client: OpenAI, audio: list[Any], question: str, options: dict[str, Any]) -> Answer:

    printed = reasoning_open = False
    with ask_stream(client, audio, question, **options) as stream:
        try:
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
        except (IncompleteStreamError, DeadlineExceededError):
            # end the partial lines: the error line (stderr) says the answer above is incomplete
            if reasoning_open:
                print(file=sys.stderr, flush=True)
            if printed:
                print(flush=True)
            raise
        answer = stream.answer()
    if reasoning_open:
        print(file=sys.stderr, flush=True)
    print(answer.text if not printed else "")
    return answer


def _run_ask(args: argparse.Namespace) -> int:
    audio, questions = _split_positionals(args)
    _check_split_options(args, audio)
    options: dict[str, Any] = {
        "model": args.model or DEFAULT_MODEL,
        "thinking": not args.no_thinking,
        "reasoning_effort": args.reasoning_effort,
        "max_completion_tokens": args.max_completion_tokens,
        "convert": args.convert,
        "retry": retry_reporter(timeout_s=args.timeout),
    }
    if len(questions) > 1:
        return _run_questions(args, audio, questions, options)
    question = questions[0]
    with open_client(args) as client, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=TruncatedAnswerWarning)  # said below, with the flag
        if args.split:
            answer = ask_split(client, _sources(audio), question, options, args)
        elif args.stream:
            answer = _print_stream(client, _sources(audio), question, options)
        else:
            answer = ask(client, _sources(audio), question, **options)
            if args.json:
                print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
            else:
                print(answer.text)
    if not args.json:
        print(usage_line(answer.usage), file=sys.stderr)
    return EXIT_TRUNCATED if _truncated(answer, args) else 0


def _run_questions(
    args: argparse.Namespace, audio: list[str], questions: list[str], options: dict[str, Any]
) -> int:
    """Several -q: one chat about the audio (read once, sent first each time: cached after the first)."""
    if args.split or args.stream:
        flag = "--split" if args.split else "--stream"
        raise CliUsageError(f"{flag} takes one question; several -q are asked with neither")
    with open_client(args) as client, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=TruncatedAnswerWarning)  # said below, with the flag
        chat = audio_chat(client, _sources(audio), **options)
        for number, question in enumerate(questions, 1):
            answer = chat.ask(question)
            if not args.json:
                print(f"{'' if number == 1 else chr(10)}Q{number}: {question}")
                print(answer.text, flush=True)
    usage = chat.usage
    if args.json:
        turns = [{"question": t.question, **t.answer.to_dict()} for t in chat.turns]
        summary = {"turns": turns, "usage": usage.to_dict(), "cost_usd": usage.cost_usd}
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(usage_line(usage), file=sys.stderr)
        print(f"mimo-audio: {chat.cost_line()}", file=sys.stderr)
    cut = [_truncated(t.answer, args) for t in chat.turns]
    return EXIT_TRUNCATED if any(cut) else 0


def _add_ask(sub: Any) -> None:
    parser = sub.add_parser(
        "ask",
        help="ask MiMo a question about audio files or URLs",
        description="Send audio (files or http(s) URLs) and a question to MiMo; print the answer.",
        epilog=_ASK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "items",
        nargs="*",
        metavar='FILE_OR_URL... "QUESTION"',
        help="audio, then the question (or give the question with -q)",
    )
    parser.add_argument(
        "-q",
        "--question",
        action="append",
        metavar="QUESTION",
        help="the question; repeat it to ask several about the same audio (cached after the first)",
    )
    parser.add_argument(
        "--sample", action="store_true", help="use the short speech sample shipped in the package"
    )
    parser.add_argument(
        "--no-thinking", action="store_true", help="turn MiMo's thinking off (faster, cheaper)"
    )
    parser.add_argument(
        "--reasoning-effort",
        choices=REASONING_EFFORTS,
        help="how hard the model thinks, on models that take it (none turns thinking off)",
    )
    parser.add_argument(
        "--convert",
        action="store_true",
        help="convert formats MiMo refuses (AAC, WebM, ...) before sending",
    )
    parser.add_argument(
        "--max-completion-tokens", type=positive_int, metavar="N", help="cap the answer's tokens"
    )

    add_split_arguments(parser)
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--stream", action="store_true", help="print the answer as it arrives (reasoning to stderr)"
    )
    shown.add_argument(
        "--json", action="store_true", help="print answer, reasoning, usage, estimate and cost as JSON"
    )
    add_connection_arguments(parser)
    parser.set_defaults(func=_run_ask, rest_into="items")


def register(subparsers: Any) -> None:
    """Add ``ask`` to the ``mimo-audio`` parser."""
    _add_ask(subparsers)


# --- ``mimo-audio ask --split``: one long file, asked in pieces (ask_across_chunks) ---------


def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("long audio")
    group.add_argument(
        "--split",
        action="store_true",
        help="split one long file into chunks, ask each (4 at a time), then combine the answers",
    )
    group.add_argument(
        "--max-duration", type=positive_float, metavar="S", help="with --split: seconds per chunk"
    )
    group.add_argument(
        "--no-combine", action="store_true", help="with --split: print each chunk's answer only"
    )


def ask_split(
    client: Any, audio: list[str], question: str, options: dict[str, Any], args: argparse.Namespace
) -> Any:
    """Run ``ask --split``: returns the :class:`AcrossChunksAnswer` (its ``.usage`` is summed)."""
    if len(audio) != 1 or getattr(args, "stream", False) or options.get("convert"):
        raise UnsupportedFeatureError(
            "--split takes exactly one local audio file, without --stream or --convert (it converts anyway)"
        )
    result = ask_across_chunks(
        client,
        audio[0],
        question,
        max_duration_s=args.max_duration,
        combine=not args.no_combine,
        model=options["model"],
        thinking=options["thinking"],
        reasoning_effort=options["reasoning_effort"],
        max_completion_tokens=options["max_completion_tokens"],
        retry=options.get("retry"),
        on_chunk=lambda c: print(
            f"  chunk {c.index + 1} ({c.start_s:.0f}-{c.end_s:.0f} s) answered", file=sys.stderr
        ),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.text)
    return result
