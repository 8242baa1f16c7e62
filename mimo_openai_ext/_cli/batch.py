"""``mimo-audio batch``: one question over many files, into a JSONL file that survives kills.

    mimo-audio batch 'calls/*.wav' --question "Summarise the call" -o results.jsonl
    mimo-audio batch calls/ --question "..." -o results.jsonl --resume   # after a crash
    mimo-audio batch calls/ --question "..." -o results.jsonl --retry-failed
    mimo-audio batch calls/ --question "..." --estimate-only             # no request sent

Exit codes: 0 every item answered (or the estimate printed), 1 some items failed (each
failure is in the JSONL with its error), 2 a usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import sys
from typing import TYPE_CHECKING, Any

from . import CliUsageError
from ._types import positive_int
from .ask import add_connection_arguments, open_async_client

if TYPE_CHECKING:
    from .._batch_results import BatchResults

__all__ = ["expand_inputs", "register"]

EXIT_SOME_FAILED = 1
_SHOWN_FAILURES = 10


def _audio_extensions() -> tuple[str, ...]:
    from .._config import AUDIO_FORMATS

    return tuple(ext for spec in AUDIO_FORMATS.values() for ext in spec.extensions)


def _folder_files(folder: str) -> list[str]:
    extensions = _audio_extensions()
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(extensions))
    return [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]


def expand_inputs(arguments: list[str]) -> list[str]:
    """Files, folders (their audio files by extension) and globs -> paths, in order, once each.

    http(s) URLs pass through unchanged. An argument that names nothing is an error.
    """
    from .._source import is_url

    found: list[str] = []
    for arg in arguments:
        if is_url(arg):
            found.append(arg)
        elif os.path.isdir(arg):
            files = _folder_files(arg)
            if not files:
                extensions = " ".join(_audio_extensions())
                raise CliUsageError(
                    f"{arg}: the folder holds no audio files ({extensions}); name files or a glob"
                )
            found += files
        elif os.path.exists(arg):
            found.append(arg)
        elif any(c in arg for c in "*?["):
            files = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
            if not files:
                raise CliUsageError(f"{arg}: no files match this pattern")
            found += files
        else:
            raise CliUsageError(f"{arg}: no such file or folder ({os.path.abspath(arg)})")
    return list(dict.fromkeys(p if is_url(p) else os.path.normpath(p) for p in found))


def _pending(sources: list[str], question: str, args: argparse.Namespace) -> list[str]:
    """The sources not yet in the results file (all of them without --resume)."""
    from .._jsonl import read_results, record_key

    if not ((args.resume or args.retry_failed) and os.path.exists(args.output)):
        return sources
    records = read_results(args.output)
    done = {
        record_key(r["source"], r["question"])
        for r in records
        if not (args.retry_failed and r.get("error") is not None)
    }
    other = sum(1 for r in records if r["question"] != question)
    if other:
        print(
            f"mimo-audio: note: {args.output} holds {other} result(s) for another question; they are "
            "kept, and items are matched by file and question",
            file=sys.stderr,
        )
    return [s for s in sources if record_key(s, question) not in done]


def _print_summary(results: BatchResults, *, skipped: int, output: str) -> None:
    fresh = [r for r in results if not r.resumed]
    failed = [r for r in fresh if not r.ok]
    cost = sum(r.cost_usd or 0.0 for r in fresh)
    tokens = sum(r.tokens() for r in fresh)
    line = f"{len(fresh)} asked: {len(fresh) - len(failed)} ok, {len(failed)} failed"
    if skipped:
        line += f" ({skipped} already in {output}, skipped)"
    print(f"{line}; {tokens:,} tokens, ${cost:.4f}, {results.elapsed_s:.1f} s -> {output}", file=sys.stderr)
    for result in failed[:_SHOWN_FAILURES]:
        error = result.error or {"type": "?", "message": "", "status": None}
        print(f"  failed: {result.source}: {error['type']}: {error['message']}", file=sys.stderr)
    if len(failed) > _SHOWN_FAILURES:
        print(f"  ... and {len(failed) - _SHOWN_FAILURES} more (see {output})", file=sys.stderr)


async def _run_async(
    args: argparse.Namespace, sources: list[str], model: str, *, before: str
) -> BatchResults:
    from .._batch import ask_batch_async

    async with open_async_client(args) as client:
        print(before, file=sys.stderr)  # once the connection options proved usable
        return await ask_batch_async(
            client,
            sources,
            args.question,
            model=model,
            thinking=not args.no_thinking,
            max_completion_tokens=args.max_completion_tokens,
            concurrency=args.concurrency,
            requests_per_minute=args.rpm,
            results_path=args.output,
            resume=args.resume,
            overwrite=args.overwrite,
            retry_failed=args.retry_failed,
            progress=not args.no_progress and sys.stderr.isatty(),
        )


def _run_batch(args: argparse.Namespace) -> int:
    from .._batch_estimate import estimate_batch
    from .._config import DEFAULT_MODEL

    model = args.model or DEFAULT_MODEL
    sources = expand_inputs(args.inputs)
    if args.output is None and not args.estimate_only:
        raise CliUsageError("-o/--output RESULTS.jsonl is required (or --estimate-only)")
    if args.output is not None and not args.estimate_only:
        _check_output(args)
    todo = _pending(sources, args.question, args) if args.output is not None else sources
    if not todo and not args.estimate_only:
        print(f"nothing to do: all {len(sources)} items are already in {args.output}", file=sys.stderr)
        return 0
    estimate = estimate_batch(
        todo, args.question, model=model, max_completion_tokens=args.max_completion_tokens
    )
    if args.estimate_only:
        print(estimate.summary())
        return 0
    results = asyncio.run(_run_async(args, sources, model, before=estimate.summary()))
    _print_summary(results, skipped=len(sources) - len(todo), output=args.output)
    return EXIT_SOME_FAILED if any(not r.ok for r in results if not r.resumed) else 0


def _check_output(args: argparse.Namespace) -> None:
    from .._exceptions import ResultsFileError

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
    from .._config import DEFAULT_LIMITS

    parser = subparsers.add_parser(
        "batch",
        help="ask one question about many files, into a JSONL results file",
        description=(
            "Ask one question about every file (files, folders, globs), a few at a time under a "
            "requests-per-minute ceiling. Each result is appended to the JSONL file as it completes; "
            "--resume after a crash or Ctrl-C skips the items already there."
        ),
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="FILES_OR_GLOB", help="audio files, folders, globs or URLs"
    )
    parser.add_argument("-q", "--question", required=True, help="the question asked about every file")
    parser.add_argument("-o", "--output", metavar="RESULTS.jsonl", help="the JSONL results file")
    parser.add_argument(
        "--concurrency", type=positive_int, default=8, metavar="N", help="requests at once (default: 8)"
    )
    parser.add_argument(
        "--rpm",
        type=positive_int,
        metavar="N",
        help=f"requests per minute, retries included (default: {DEFAULT_LIMITS.requests_per_minute})",
    )
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
        help="print total duration, tokens and worst-case cost; send nothing",
    )
    parser.add_argument("--no-thinking", action="store_true", help="turn MiMo's thinking off (cheaper)")
    parser.add_argument(
        "--max-completion-tokens", type=positive_int, metavar="N", help="per answer (default: the model's)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_connection_arguments(parser)
    parser.set_defaults(func=_run_batch)
