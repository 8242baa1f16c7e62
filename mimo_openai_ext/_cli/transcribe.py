"""``mimo-audio transcribe``: recordings of any length into text, SRT, WebVTT or JSON.

    mimo-audio transcribe lecture.m4a                                  # the text on stdout
    mimo-audio transcribe lecture.m4a --format srt -o lecture.srt
    mimo-audio transcribe recordings/ --format vtt -o subs/ --resume   # one file each, resumable
    cat memo.mp3 | mimo-audio transcribe -

Files, folders (their audio files; ``--recursive`` for subfolders) and globs, as ``batch``
takes them. The library does the work (:mod:`.._transcribe_files`); this prints it.

Exit codes: 0 every recording transcribed whole; 1 a recording, or a piece of one, failed
(its output marks the gap; ``--resume`` transcribes it again); 2 a usage or audio
mistake; 130 interrupted (no partial output is left: rerun with ``--resume``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from .._asr_request import asr_model, longest_piece_s
from .._audio.datauri import is_url
from .._audio.vad import VAD_KINDS, fallback_note
from .._batch.results import without_source
from .._config import ASR_LANGUAGES, DEFAULT_ASR_MODEL, DEFAULT_LIMITS
from .._sample import sample_audio_path
from .._transcribe import DEFAULT_MAX_SEGMENT_S, MIN_SEGMENT_S, TranscribeOptions, TranscribeProgress
from .._transcribe_files import (
    EXTENSIONS,
    OUTPUT_FORMATS,
    FileResult,
    OutputFormat,
    is_complete_output,
    plan_outputs,
    transcribe_files,
)
from . import CliUsageError
from ._connection import add_connection_arguments, add_pace_arguments, open_async_client, retry_reporter
from ._sources import collect_and_note
from ._stdin import STDIN_NAME, is_stdin, stdin_bytes
from ._types import positive_float
from .ask import usage_line

__all__ = ["register"]

EXIT_SOME_FAILED = 1
_SHOWN_FAILURES = 10


_BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]"


class _PiecesBar:
    """Seconds of audio done out of the recordings' durations (known from their headers at the
    start), described as pieces done out of pieces cut so far ("3/5+ pieces" while cutting).

    The piece count alone made a poor measure: its total grows as the audio is cut, so the
    bar read 57/58 (98 %) early on and stayed near the end.
    """

    def __init__(self, *, enabled: bool) -> None:
        self._bar: Any = None
        self._enabled = enabled
        self._runs: dict[str, TranscribeProgress] = {}
        self._finished = (0, 0, 0.0)
        """Pieces done and cut, and seconds, in the recordings already finished."""

    def update(self, progress: TranscribeProgress) -> None:
        self._runs[progress.source_name] = progress
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=0,
                unit="s",
                file=sys.stderr,
                dynamic_ncols=True,
                leave=False,
                bar_format=_BAR_FORMAT,
            )
        runs = self._runs.values()
        done = self._finished[0] + sum(p.pieces_done for p in runs)
        cut = self._finished[1] + sum(p.pieces_total for p in runs)
        more = "" if all(p.cutting_done for p in runs) else "+"
        self._bar.total = self._finished[2] + sum(p.duration_s for p in runs)
        self._bar.n = self._finished[2] + sum(p.done_s for p in runs)
        self._bar.set_description_str(f"{progress.source_name} {done}/{cut}{more} pieces", refresh=False)
        self._bar.refresh()

    def finish(self, name: str) -> None:
        progress = self._runs.pop(name, None)
        if progress is not None:
            self._finished = (
                self._finished[0] + progress.pieces_done,
                self._finished[1] + progress.pieces_total,
                self._finished[2] + progress.duration_s,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _sources(args: argparse.Namespace) -> tuple[list[Any], bool, str | None]:
    """The recordings, whether their transcripts go into a folder, and the name of stdin's bytes."""
    if args.sample:
        if args.inputs:
            raise CliUsageError("give audio files, or --sample: not both")
        return [str(sample_audio_path())], False, None
    if not args.inputs:
        raise CliUsageError(
            "give the audio to transcribe: files, folders or globs ('-' reads standard input)"
        )
    if any(is_stdin(a) for a in args.inputs):
        if len(args.inputs) > 1:
            raise CliUsageError("'-' (standard input) is one recording: give it alone")
        return [stdin_bytes()], False, STDIN_NAME
    urls = [a for a in args.inputs if is_url(a)]
    if urls:
        raise CliUsageError(f"{urls[0]}: MiMo's ASR model takes local audio only; download it first")
    collected = collect_and_note(args.inputs, convert=args.convert, recursive=args.recursive)
    into_folder = len(collected.sources) > 1 or any(
        os.path.isdir(a) or (not os.path.exists(a) and any(c in a for c in "*?[")) for a in args.inputs
    )
    return list(collected.sources), into_folder, None


def _options(args: argparse.Namespace, name: str | None, bar: _PiecesBar) -> TranscribeOptions:
    model = args.model or DEFAULT_ASR_MODEL
    if args.max_segment is not None:  # said in the command's own words, not the library's
        if args.max_segment < MIN_SEGMENT_S:
            raise CliUsageError(
                f"--max-segment {args.max_segment:g}: must be at least {MIN_SEGMENT_S:g} seconds"
            )
        longest = longest_piece_s(asr_model(model), DEFAULT_LIMITS)
        if args.max_segment > longest:
            raise CliUsageError(
                f"--max-segment {args.max_segment:g}: one {model} request holds at most {longest:.0f} s "
                f"(its context and answer budget); pass --max-segment {int(longest)} or less"
            )
    return TranscribeOptions(
        language=args.language,
        model=model,
        name=name,
        retry=retry_reporter(timeout_s=args.timeout),
        max_segment_s=args.max_segment,
        vad=args.vad,
        convert=args.convert,
        concurrency=args.concurrency,
        requests_per_minute=args.rpm,
        on_progress=bar.update,
    )


def _report(result: FileResult, *, stdout: bool) -> None:
    """One stderr line per recording (none for a whole transcript printed on stdout)."""
    if result.resumed:
        print(f"mimo-audio: {result.source}: already done ({result.output}), skipped", file=sys.stderr)
        return
    if result.error is not None:
        message = without_source(str(result.error), result.source)
        print(
            f"mimo-audio: {result.source}: failed: {type(result.error).__name__}: {message}", file=sys.stderr
        )
        return
    transcript = result.transcript
    if transcript is None:
        return
    failed = len(transcript.failures)
    if stdout and not failed:
        return
    where = f" -> {result.output}" if result.output else ""
    gaps = f", {failed} failed (marked in the output; --resume does them again)" if failed else ""
    print(
        f"mimo-audio: {result.source}: {_segments_text(len(transcript.segments))}, "
        f"{transcript.duration_s:,.1f} s"
        f"{gaps}{where}",
        file=sys.stderr,
    )


def _segments_text(count: int) -> str:
    return f"{count:,} segment{'' if count == 1 else 's'}"


def _summary(results: list[FileResult], total: int) -> None:
    done = [r for r in results if r.transcript is not None]
    skipped = sum(r.resumed for r in results)
    failed = [r for r in results if not r.ok and not r.resumed]
    pieces = sum(len(r.transcript.segments) for r in done if r.transcript is not None)
    cost = sum((r.transcript.cost_usd or 0.0) for r in done if r.transcript is not None)
    line = f"{total} recording(s): {len(done)} transcribed, {skipped} already done, {len(failed)} not whole"
    print(f"mimo-audio: {line}; {_segments_text(pieces)}, ${cost:.4f}", file=sys.stderr)
    if failed:
        print("  rerun with --resume to transcribe the ones not whole again", file=sys.stderr)


def _interrupted(outputs: list[Path | None], fmt: OutputFormat) -> None:
    done = sum(p is not None and p.exists() and is_complete_output(p, fmt) for p in outputs)
    print(
        f"mimo-audio: interrupted: {done} of {len(outputs)} transcript(s) written whole (no partial file "
        "is left); rerun with --resume to do the rest",
        file=sys.stderr,
    )


def _format(args: argparse.Namespace) -> OutputFormat:
    """``--format``; else what ``-o``'s extension names (``lecture.srt``); else text."""
    if args.json:
        return "json"
    if args.format is not None:
        chosen: OutputFormat = args.format
        return chosen
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return next((fmt for fmt, ext in EXTENSIONS.items() if ext == suffix), "text")


def _run_transcribe(args: argparse.Namespace) -> int:
    fmt = _format(args)
    sources, into_folder, name = _sources(args)
    outputs = plan_outputs([name or str(s) for s in sources], args.output, fmt, into_folder=into_folder)
    bar = _PiecesBar(enabled=not args.no_progress and sys.stderr.isatty())
    options = _options(args, name, bar)
    results: list[FileResult] = []

    def on_file(result: FileResult) -> None:
        bar.finish(result.source)
        results.append(result)
        if len(sources) > 1 or result.error is None:
            _report(result, stdout=result.output is None)

    def to_stdout(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    async def run() -> list[FileResult]:
        async with open_async_client(args) as client:
            return await transcribe_files(
                client, sources, outputs, fmt=fmt, options=options, resume=args.resume,
                overwrite=args.overwrite, on_file=on_file, write_stdout=to_stdout,
            )  # fmt: skip

    try:
        results = asyncio.run(run())
    except KeyboardInterrupt:
        bar.close()
        if outputs != [None]:
            _interrupted(outputs, fmt)
        raise
    finally:
        bar.close()
    if args.vad == "auto" and any(r.transcript is not None and r.transcript.vad == "energy" for r in results):
        print(f"mimo-audio: note: {fallback_note('add --vad energy')}", file=sys.stderr)
    if len(sources) == 1 and results and results[0].error is not None:
        raise results[0].error  # one recording: its error is the command's (one line, its exit status)
    if len(sources) > 1:
        _summary(results, len(sources))
    elif results and results[0].transcript is not None and results[0].output is None and fmt == "text":
        print(usage_line(results[0].transcript.usage), file=sys.stderr)
    return 0 if all(r.ok for r in results) else EXIT_SOME_FAILED


def register(subparsers: Any) -> None:
    """Add ``transcribe`` to the ``mimo-audio`` parser."""
    parser = subparsers.add_parser(
        "transcribe",
        help="transcribe audio of any length into text, SRT, WebVTT or JSON",
        description=(
            f"Transcribe recordings with MiMo's ASR model ({DEFAULT_ASR_MODEL}): any length (cut at pauses "
            "into pieces sent a few at a time), any accepted format (FLAC, M4A and OGG are converted; "
            "--convert takes AAC, WebM, ...). Each segment keeps its true time in the recording."
        ),
        epilog=(
            "exit status: 0 all transcribed whole; 1 a recording or a piece failed (marked in its output; "
            "--resume does it again); 2 a usage or audio mistake; 130 interrupted (no partial file is left)"
        ),
    )
    parser.add_argument(
        "inputs", nargs="*", metavar="FILES_OR_FOLDERS", help="audio files, folders or globs; '-' reads stdin"
    )
    parser.add_argument(
        "--sample", action="store_true", help="use the short speech sample shipped in the package"
    )
    parser.add_argument("-r", "--recursive", action="store_true", help="search folders' subfolders too")
    parser.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        help="what to write (default: what -o's extension names, .srt .vtt .json .txt; else text)",
    )
    parser.add_argument(
        "--json", action="store_true", help=argparse.SUPPRESS
    )  # the old spelling of --format json
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="a file (one recording), or a folder: one transcript each (default: standard output)",
    )
    parser.add_argument(
        "--convert", action="store_true", help="also take formats MiMo refuses (AAC, WebM, WMA, AIFF, ...)"
    )
    parser.add_argument(
        "--language", choices=ASR_LANGUAGES, default="auto", help="spoken language (default: auto)"
    )
    parser.add_argument(
        "--max-segment",
        type=positive_float,
        default=DEFAULT_MAX_SEGMENT_S,
        metavar="S",
        help=f"longest segment in seconds, cut at a pause (default: {DEFAULT_MAX_SEGMENT_S:g})",
    )
    parser.add_argument(
        "--vad",
        choices=VAD_KINDS,
        default="auto",
        help="what finds the pauses (default: auto: Silero if installed)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the transcripts already whole, do the rest"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing transcripts")
    add_pace_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_connection_arguments(parser, model_help=f"ASR model id (default: {DEFAULT_ASR_MODEL})")
    parser.set_defaults(func=_run_transcribe)
