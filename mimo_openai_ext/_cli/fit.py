"""``mimo-audio fit IN [-o OUT]`` and ``mimo-audio split IN -o DIR``.

``fit`` writes audio MiMo accepts under the size limit (the extension follows the
format it had to use); ``split`` writes consecutive chunks. Both show a progress bar
on long files (on a terminal) and end with a summary: sizes before and after, and the
duration kept.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._types import positive_float, positive_int

if TYPE_CHECKING:
    from .._fit import FittedAudio
    from .._split import AudioChunk

__all__ = ["register"]

_BAR_ABOVE_S = 60.0
_EXTENSIONS = {"flac": ".flac", "mp3": ".mp3", "wav": ".wav", "m4a": ".m4a", "ogg": ".ogg"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fit = subparsers.add_parser(
        "fit",
        help="convert/compress audio so MiMo accepts it (format and size)",
        description="Write audio MiMo accepts under its size limit, changing as little as possible: "
        "keep it; lossless FLAC; mono 16 kHz FLAC (nothing speech needs is lost); MP3. "
        "Converts AIFF, CAF, AAC, WebM, WMA, AMR and video sound (some need the 'convert' extra).",
    )
    fit.add_argument("input", metavar="IN", help="an audio (or video) file")
    fit.add_argument("-o", "--output", metavar="OUT", help="where to write (default: IN's name + .fit.EXT)")
    fit.add_argument("--max-bytes", type=positive_int, metavar="N", help="byte budget (default: what fits "
                     "MiMo's 50,000,000-character data URI, about 37.5 MB)")  # fmt: skip
    fit.add_argument(
        "--model", metavar="M", help="fit for this model (the ASR model takes WAV/MP3 up to 10 MB)"
    )
    fit.add_argument("--keep-quality", action="store_true", help="music: keep stereo and the sample rate")
    fit.set_defaults(func=run_fit)

    split = subparsers.add_parser(
        "split",
        help="cut long audio into chunks MiMo accepts, at quiet moments",
        description="Cut audio into consecutive lossless chunks (mono 16 kHz FLAC), each within the "
        "limits given and MiMo's size limit, cut in pauses, overlapping at the seams.",
    )
    split.add_argument("input", metavar="IN", help="an audio (or video) file")
    split.add_argument("-o", "--output", metavar="DIR", required=True, help="directory for the chunks")
    split.add_argument("--max-duration", type=positive_float, metavar="S", help="seconds per chunk at most")
    split.add_argument("--max-tokens", type=positive_int, metavar="T", help="audio tokens per chunk at most")
    split.add_argument("--max-bytes", type=positive_int, metavar="N", help="bytes per chunk at most")
    split.add_argument(
        "--overlap", type=float, default=1.0, metavar="S", help="seconds of overlap (default: 1)"
    )
    split.add_argument("--no-silence", action="store_true", help="cut exactly at the limit, not in pauses")
    split.add_argument("--model", metavar="M", help="split for this model (the ASR model gets WAV chunks)")
    split.add_argument("--keep-quality", action="store_true", help="keep the channels and sample rate")
    split.set_defaults(func=run_split)


@contextlib.contextmanager
def progress_bar(total_s: float, label: str) -> Iterator[Callable[[float, float], None]]:
    """A tqdm bar in seconds of audio (only on a terminal, only for long files)."""
    if total_s < _BAR_ABOVE_S or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=round(total_s, 1), unit="s", desc=label, file=sys.stderr, leave=False) as bar:

        def update(done: float, total: float) -> None:
            bar.n = round(min(done, total), 1)
            bar.refresh()

        yield update


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.1f} kB"


def _output_path(source: Path, output: str | None, fitted: FittedAudio) -> tuple[Path, str]:
    extension = _EXTENSIONS[fitted.info.format]
    if output is None:
        return source.with_name(f"{source.stem}.fit{extension}"), ""
    path = Path(output)
    if path.suffix.lower() in (extension, ".opus" if extension == ".ogg" else extension):
        return path, ""
    fixed = path.with_suffix(extension)
    return (
        fixed,
        f" (named {fixed.name}: the result is {fitted.info.format.upper()}, not {path.suffix or 'untyped'})",
    )


def run_fit(args: argparse.Namespace) -> int:
    from .._decode import open_audio
    from .._fit import fit_audio

    source = Path(args.input)
    with open_audio(source) as stream:
        total_s = stream.info.duration_s
    with progress_bar(total_s, source.name) as update:
        fitted = fit_audio(
            source,
            max_bytes=args.max_bytes,
            model=args.model,
            keep_quality=args.keep_quality,
            on_progress=update,
        )
    out, note = _output_path(source, args.output, fitted)
    out.write_bytes(fitted.data)
    before, after = fitted.original, fitted.info
    print(f"{out}{note}")
    sizes = (
        f"{before.format.upper()} {_mb(before.size_bytes)} -> {after.format.upper()} {_mb(after.size_bytes)}"
    )
    print(f"  {sizes} ({', '.join(fitted.steps)})")
    kept = after.duration_s / before.duration_s * 100 if before.duration_s else 100.0
    print(f"  duration {before.duration_s:,.2f} s -> {after.duration_s:,.2f} s ({kept:.2f}% kept)")
    return 0


def run_split(args: argparse.Namespace) -> int:
    from .._decode import open_audio
    from .._split import split_audio

    source = Path(args.input)
    with open_audio(source) as stream:
        total_s, size = stream.info.duration_s, stream.info.size_bytes
    directory = Path(args.output)
    directory.mkdir(parents=True, exist_ok=True)
    chunks = split_audio(
        source,
        max_duration_s=args.max_duration,
        max_tokens=args.max_tokens,
        max_encoded_bytes=args.max_bytes,
        overlap_s=args.overlap,
        silence_aware=not args.no_silence,
        model=args.model,
        keep_quality=args.keep_quality,
    )
    written: list[AudioChunk] = []
    with progress_bar(total_s, source.name) as update:
        for chunk in chunks:
            name = f"{source.stem}.{chunk.index + 1:03d}{_EXTENSIONS[chunk.info.format]}"
            (directory / name).write_bytes(chunk.data)
            print(f"{directory / name}  {chunk.start_s:9.2f}-{chunk.end_s:9.2f} s  {_mb(len(chunk.data))}")
            written.append(chunk)
            update(chunk.end_s, total_s)
    covered = sum(c.duration_s for c in written) - args.overlap * (len(written) - 1)
    after = sum(len(c.data) for c in written)
    print(
        f"{len(written)} chunk{'s' * (len(written) != 1)}: {_mb(size)} -> {_mb(after)} in all; "
        f"{covered:,.2f} of {total_s:,.2f} s covered (overlap {args.overlap:g} s)"
    )
    return 0


# --- ``mimo-audio ask --split`` (wired into ``ask`` by two lines in ask.py) ---------


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
    import json

    from .._across import ask_across_chunks
    from .._exceptions import UnsupportedFeatureError

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
        max_completion_tokens=options["max_completion_tokens"],
        on_chunk=lambda c: print(
            f"  chunk {c.index + 1} ({c.start_s:.0f}-{c.end_s:.0f} s) answered", file=sys.stderr
        ),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.text)
    return result
