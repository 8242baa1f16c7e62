"""``mimo-audio batch``: one question over many files, into a JSONL file that survives kills.

    mimo-audio batch 'calls/*.wav' --question "Summarise the call" -o results.jsonl
    mimo-audio batch calls/ --question "..." -o results.jsonl --resume   # after a crash
    mimo-audio batch calls/ --question "..." -o results.jsonl --retry-failed
    mimo-audio batch calls/ --question "..." --estimate-only             # no request sent

Exit codes: 0 every item answered (or, with --estimate-only, every file would be sent),
1 some items failed, in this run or (with --resume) an earlier one: each failure is in the
JSONL with its error, and --retry-failed asks them again (with --estimate-only: some files
would fail); 2 a usage error; 74 the results file could not be written (a read-only folder,
a full disk: what is written is kept, rerun with --resume); 130 interrupted (rerun with
--resume).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from .._batch.ask import ask_batch_async, refuse_transcription_model
from .._batch.estimate import estimate_batch
from .._batch.results import BatchResults, without_source
from .._batch.results_file import resume_state
from .._config import DEFAULT_MODEL, REASONING_EFFORTS
from .._exceptions import MimoAudioError, ResultsFileError, UnsupportedAudioFormatError
from .._retry import RetryPolicy
from . import CliUsageError
from ._connection import add_connection_arguments, add_pace_arguments, open_async_client
from ._sources import collect_and_note
from ._types import positive_int

__all__ = ["register"]

EXIT_SOME_FAILED = 1
_SHOWN_FAILURES = 10


def _collect(arguments: list[str], *, convert: bool, recursive: bool) -> list[str]:
    """The batch's sources; says on stderr which files and subfolders of a folder were left out."""
    return list(collect_and_note(arguments, convert=convert, recursive=recursive).sources)


def _pending(sources: list[str], question: str, args: argparse.Namespace) -> tuple[list[str], int]:
    """The sources not yet in the results file (all of them without --resume), and how many
    of the others are failures kept from an earlier run (none with --retry-failed)."""
    if not (args.resume or args.retry_failed):
        return sources, 0
    state = resume_state(args.output, sources, question, retry_failed=args.retry_failed)
    if state.other_questions:
        print(
            f"mimo-audio: note: {args.output} holds {state.other_questions} result(s) for another question; "
            "they are kept, and items are matched by file and question",
            file=sys.stderr,
        )
    return [sources[i] for i in state.pending], state.failed_before


_RETRY_HINT = "--retry-failed asks the failed ones again"


def _print_summary(
    results: BatchResults, *, skipped: int, failed_before: int, output: str, convert: bool
) -> None:

    fresh = [r for r in results if not r.resumed]
    failed = [r for r in fresh if not r.ok]
    cost = sum(r.cost_usd or 0.0 for r in fresh)
    tokens = sum(r.tokens() for r in fresh)
    line = f"{len(fresh)} asked: {len(fresh) - len(failed)} ok, {len(failed)} failed"
    if skipped:
        line += f" ({skipped} already in {output}, skipped"
        line += f", {failed_before} of them failed)" if failed_before else ")"
    print(f"{line}; {tokens:,} tokens, ${cost:.4f}, {results.elapsed_s:.1f} s -> {output}", file=sys.stderr)
    for result in failed[:_SHOWN_FAILURES]:
        error = result.error or {"type": "?", "message": "", "status": None}
        message = without_source(error["message"], result.source)
        print(f"  failed: {result.source}: {error['type']}: {message}", file=sys.stderr)
    if len(failed) > _SHOWN_FAILURES:
        print(f"  ... and {len(failed) - _SHOWN_FAILURES} more (see {output})", file=sys.stderr)
    refused = sum(_convertible(r.exception) for r in failed)
    if refused and not convert:
        print(f"  {refused} in a format MiMo refuses: add --convert to convert them", file=sys.stderr)
    if failed or failed_before:
        print(f"  {_RETRY_HINT}", file=sys.stderr)


def _convertible(exc: BaseException | None) -> bool:
    """A format MiMo refuses that ``--convert`` would re-encode (audio, not an image or text)."""

    return isinstance(exc, UnsupportedAudioFormatError) and not exc.found.startswith(("a ", "an "))


def _print_interrupted(sources: list[str], question: str, output: str) -> None:
    """After Ctrl-C: how far the batch got, and how to go on."""
    try:
        done = resume_state(output, sources, question).done
    except (OSError, MimoAudioError):  # a file we cannot read: say what we can
        done = 0
    print(
        f"mimo-audio: interrupted: {done} of {len(sources)} done ({output}); rerun with --resume to continue",
        file=sys.stderr,
    )


async def _run_async(
    args: argparse.Namespace, sources: list[str], model: str, *, before: str
) -> BatchResults:

    async with open_async_client(args) as client:
        print(before, file=sys.stderr)  # once the connection options proved usable
        return await ask_batch_async(
            client,
            sources,
            args.question,
            model=model,
            thinking=not args.no_thinking,
            reasoning_effort=args.reasoning_effort,
            max_completion_tokens=args.max_completion_tokens,
            concurrency=args.concurrency,
            requests_per_minute=args.rpm,
            results_path=args.output,
            resume=args.resume,
            overwrite=args.overwrite,
            retry_failed=args.retry_failed,
            progress=not args.no_progress and sys.stderr.isatty(),
            convert=args.convert,
            retry=None if args.timeout is None else RetryPolicy(timeout_s=args.timeout),
        )


def _run_batch(args: argparse.Namespace) -> int:

    model = args.model or DEFAULT_MODEL
    refuse_transcription_model(model)
    if not args.question.strip():
        raise CliUsageError('-q/--question is empty: ask something, e.g. -q "What is said?"')
    sources = _collect(args.inputs, convert=args.convert, recursive=args.recursive)
    if args.output is None and not args.estimate_only:
        raise CliUsageError("-o/--output RESULTS.jsonl is required (or --estimate-only)")
    if args.output is not None and not args.estimate_only:
        _check_output(args)
    todo, failed_before = _pending(sources, args.question, args) if args.output is not None else (sources, 0)
    if not todo and not args.estimate_only:
        line = f"nothing to do: all {len(sources)} items are already in {args.output}"
        if failed_before:
            line += f", {failed_before} of them failed; {_RETRY_HINT}"
        print(line, file=sys.stderr)
        return EXIT_SOME_FAILED if failed_before else 0
    estimate = estimate_batch(
        todo,
        args.question,
        model=model,
        max_completion_tokens=args.max_completion_tokens,
        convert=args.convert,
    )
    if args.estimate_only:
        print(estimate.summary())
        return EXIT_SOME_FAILED if estimate.unreadable else 0
    try:
        results = asyncio.run(_run_async(args, sources, model, before=estimate.summary()))
    except KeyboardInterrupt:
        _print_interrupted(sources, args.question, args.output)
        raise
    _print_summary(
        results,
        skipped=len(sources) - len(todo),
        failed_before=failed_before,
        output=args.output,
        convert=args.convert,
    )
    return EXIT_SOME_FAILED if failed_before or any(not r.ok for r in results if not r.resumed) else 0


def _check_output(args: argparse.Namespace) -> None:

    if os.path.isdir(args.output):
        raise ResultsFileError(
            f"{args.output} is a folder: -o takes a file path, e.g. "
            f"-o {os.path.join(args.output, 'results.jsonl')}",
            path=args.output,
        )
    exists = os.path.exists(args.output) and os.path.getsize(args.output) > 0
    if (args.resume or args.retry_failed) and args.overwrite:
        raise ResultsFileError(
            "--overwrite contradicts --resume / --retry-failed: pick one", path=args.output
        )
    if exists and not (args.resume or args.overwrite or args.retry_failed):
        raise ResultsFileError(
            f"{args.output} already exists: add --resume to skip the items it holds, --overwrite to "
            "start over, or choose another -o",
            path=args.output,
        )


def register(subparsers: Any) -> None:
    """Add ``batch`` to the ``mimo-audio`` parser."""
    parser = subparsers.add_parser(
        "batch",
        help="ask one question about many files, into a JSONL results file",
        description=(
            "Ask one question about every file (files, folders, globs), a few at a time under a "
            "requests-per-minute ceiling. Each result is appended to the JSONL file as it completes; "
            "--resume after a crash or Ctrl-C skips the items already there."
        ),
    )
    _add_work_arguments(parser)
    _add_results_file_arguments(parser)
    parser.add_argument("--no-thinking", action="store_true", help="turn MiMo's thinking off (cheaper)")
    parser.add_argument(
        "--reasoning-effort",
        choices=REASONING_EFFORTS,
        help="how hard the model thinks, on models that take it (none turns thinking off)",
    )
    parser.add_argument(
        "--convert",
        action="store_true",
        help="convert formats MiMo refuses (AAC, WebM, WMA, AIFF, ...) before sending, and take "
        "them from folders",
    )
    parser.add_argument(
        "--max-completion-tokens", type=positive_int, metavar="N", help="per answer (default: the model's)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_connection_arguments(parser)
    parser.set_defaults(func=_run_batch)


def _add_work_arguments(parser: argparse.ArgumentParser) -> None:
    """What is asked about which files, where the results go, and how fast."""

    parser.add_argument(
        "inputs", nargs="+", metavar="FILES_OR_GLOB", help="audio files, folders, globs or URLs"
    )
    parser.add_argument(
        "-r", "--recursive", action="store_true", help="search folders' subfolders too (default: off)"
    )
    parser.add_argument("-q", "--question", required=True, help="the question asked about every file")
    parser.add_argument("-o", "--output", metavar="RESULTS.jsonl", help="the JSONL results file")
    add_pace_arguments(parser)


def _add_results_file_arguments(parser: argparse.ArgumentParser) -> None:
    """What to do with an existing results file, or send nothing (``--estimate-only``)."""
    parser.add_argument("--resume", action="store_true", help="skip the items already in the results file")
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="like --resume, but ask again the items whose result is an error",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing results file")
    parser.add_argument(
        "--estimate-only",
        action="store_true",
        help="print total duration, tokens and worst-case cost; send nothing (exit 1 if some "
        "files would fail)",
    )
