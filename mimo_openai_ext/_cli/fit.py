"""``mimo-audio fit IN [-o OUT]`` and ``mimo-audio split IN -o DIR``.

``fit`` writes audio MiMo accepts under the size limit (the extension follows the
format it had to use); ``split`` writes consecutive chunks. Both show a progress bar
on long files (on a terminal) and end with a summary: sizes before and after, and the
duration kept.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .._audio.datauri import inline_limit_bytes
from .._audio.fit import FittedAudio, fit_audio, fit_formats
from .._audio.split import resolve_overlap, split_with_progress
from . import CliUsageError
from ._types import positive_float, positive_int

__all__ = ["register"]

_BAR_ABOVE_S = 60.0
_EXTENSIONS = {"flac": ".flac", "mp3": ".mp3", "wav": ".wav", "m4a": ".m4a", "ogg": ".ogg"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fit = subparsers.add_parser(
        "fit",
        help="convert/compress audio so MiMo accepts it (format and size)",
        description="Write audio MiMo accepts under its size limit, changing as little as possible: "
        "keep it; lossless FLAC; mono 16 kHz FLAC (nothing speech needs is lost); MP3. "
        "Converts AIFF, CAF, AAC, WebM, WMA, AMR and video sound.",
    )
    fit.add_argument("input", metavar="IN", help="an audio (or video) file")
    fit.add_argument("-o", "--output", metavar="OUT", help="where to write: a file, or a folder to write "
                     "IN's name + .EXT into (default: next to IN, e.g. a.wav.fit.flac)")  # fmt: skip
    fit.add_argument("--max-bytes", type=positive_int, metavar="N", help="byte budget (default: what fits "
                     "MiMo's 50,000,000-character data URI, about 37.5 MB; at most 100,000,000, but a "
                     "result over the data URI limit must be sent to MiMo by URL)")  # fmt: skip
    fit.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
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
    split.add_argument("--overlap", type=_overlap_seconds, metavar="S", help="seconds each chunk repeats "
                       "of the one before (default: 1, or a quarter of --max-duration if less)")  # fmt: skip
    split.add_argument("--no-silence", action="store_true", help="cut at exact, even lengths, not in pauses")
    split.add_argument("--model", metavar="M", help="split for this model (the ASR model gets WAV chunks)")
    split.add_argument("--keep-quality", action="store_true", help="keep the channels and sample rate")
    split.add_argument("--overwrite", action="store_true", help="replace chunks of IN already in DIR")
    split.set_defaults(func=run_split)


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[float, float], None]]:
    """A tqdm bar in seconds of audio, shown from the first report (on a terminal, for long files).

    Nothing is opened or decoded up front to learn the duration: the first
    ``update(done_s, total_s)`` brings it, a few milliseconds into the work.
    """
    bars: list[Any] = []

    def update(done: float, total: float) -> None:
        if not bars:
            if total < _BAR_ABOVE_S or not sys.stderr.isatty():
                bars.append(None)
            else:
                from tqdm.auto import tqdm

                bars.append(tqdm(total=round(total, 1), unit="s", desc=label, file=sys.stderr, leave=False))
        bar = bars[0]
        if bar is not None:
            bar.n = round(min(done, total), 1)
            bar.refresh()

    try:
        yield update
    finally:
        if bars and bars[0] is not None:
            bars[0].close()


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.1f} kB"


def _overlap_seconds(text: str) -> float:
    """argparse type for ``--overlap``: seconds from 0 to 3600."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be from 0 to 3600 seconds, got {text}")
    return value


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it into place."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise


def _check_folder(folder: Path, what: str) -> None:
    if not folder.is_dir():
        found = "is not a folder" if folder.exists() else "does not exist"
        raise CliUsageError(f"{folder}: {found}; {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliUsageError(f"{folder}: cannot write in this folder; {what}")


def _check_new(path: Path, source: Path, *, overwrite: bool) -> None:
    if path.exists() and source.exists() and path.resolve() == source.resolve():
        raise CliUsageError(f"{path}: is the input itself; choose another -o")
    if path.exists() and not overwrite:
        raise CliUsageError(f"{path}: already exists; pass --overwrite to replace it, or choose another -o")


def _fit_target(source: Path, output: str | None) -> tuple[Path, Path | None]:
    """(folder to write in, file asked for or None when the name follows the format)."""
    if output is None:
        return source.parent, None
    path = Path(output)
    if path.is_dir() or output.endswith((os.sep, "/")):
        return path, None
    return path.parent, path


def _name_for(source: Path, output: str | None, fmt: str) -> tuple[Path, str]:
    """Where a result in ``fmt`` goes, and a note when the name differs from the one asked for.

    Next to the input (no ``-o``) the whole input name is kept (``para.wav.fit.flac``), so
    ``para.wav`` and ``para.flac`` never write the same file; ``-o DIR`` writes ``DIR/para.flac``.
    """
    extension = _EXTENSIONS[fmt]
    folder, path = _fit_target(source, output)
    if path is None:
        name = f"{source.name}.fit" if output is None else source.stem
        return folder / f"{name}{extension}", ""
    if path.suffix.lower() in (extension, ".opus" if extension == ".ogg" else extension):
        return path, ""
    fixed = path.with_suffix(extension)
    return fixed, f" (named {fixed.name}: the result is {fmt.upper()}, not {path.suffix or 'untyped'})"


def _check_outputs(source: Path, args: argparse.Namespace) -> None:
    """Before any decoding: no name the run could write may exist (or be the input itself)."""
    formats = fit_formats(source, max_bytes=args.max_bytes, model=args.model)  # refuses the hopeless
    paths = [_name_for(source, args.output, fmt)[0] for fmt in formats]
    for path in paths:
        if path.exists() and source.exists() and path.resolve() == source.resolve():
            raise CliUsageError(f"{path}: is the input itself; choose another -o")
        if path.exists() and not args.overwrite:
            others = [p.name for p in paths if p != path]
            could = f" (the result may also be {' or '.join(others)}: its extension follows its format)"
            raise CliUsageError(
                f"{path}: already exists{could if others else ''}; pass --overwrite to replace it, "
                "or choose another -o"
            )


def run_fit(args: argparse.Namespace) -> int:

    source = Path(args.input)
    folder, _ = _fit_target(source, args.output)
    _check_folder(folder, "create it first or choose another -o")
    _check_outputs(source, args)
    with progress_bar(source.name) as update:
        fitted = fit_audio(
            source,
            max_bytes=args.max_bytes,
            model=args.model,
            keep_quality=args.keep_quality,
            on_progress=update,
        )
    out, note = _name_for(source, args.output, fitted.info.format)
    _check_new(out, source, overwrite=args.overwrite)  # again: something may have appeared meanwhile
    _write_new(out, fitted.data)
    _print_fit_summary(out, note, fitted, args.model)
    return 0


def _print_fit_summary(out: Path, note: str, fitted: FittedAudio, model: str | None) -> None:
    before, after = fitted.original, fitted.info
    print(f"{out}{note}")
    sizes = (
        f"{before.format.upper()} {_mb(before.size_bytes)} -> {after.format.upper()} {_mb(after.size_bytes)}"
    )
    print(f"  {sizes} ({', '.join(fitted.steps)})")
    kept = after.duration_s / before.duration_s * 100 if before.duration_s else 100.0
    print(f"  duration {before.duration_s:,.2f} s -> {after.duration_s:,.2f} s ({kept:.2f}% kept)")
    inline = inline_limit_bytes(after.mime, model=model)
    if after.size_bytes > inline:
        print(
            f"  note: over the {_mb(inline)} a data URI can hold: send it to MiMo by URL "
            "(up to 100 MB), not inline"
        )


def _old_chunks(directory: Path, source: Path, *, overwrite: bool) -> list[Path]:
    if directory.exists() and not directory.is_dir():
        raise CliUsageError(
            f"{directory}: exists and is not a folder; choose a folder for the chunks with -o"
        )
    pattern = f"{glob.escape(source.stem)}.[0-9][0-9][0-9].*"
    old = sorted(directory.glob(pattern)) if directory.is_dir() else []
    if old and not overwrite:
        raise CliUsageError(
            f"{directory}: already holds {len(old)} chunk file(s) of {source.name} ({old[0].name}, ...); "
            "pass --overwrite to replace them, or choose another folder"
        )
    return old


def run_split(args: argparse.Namespace) -> int:

    source = Path(args.input)
    directory = Path(args.output)
    old = _old_chunks(directory, source, overwrite=args.overwrite)
    overlap_s = resolve_overlap(args.overlap, args.max_duration)
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    written: list[tuple[float, float, int]] = []  # (start_s, end_s, bytes): not the chunks' data
    paths: list[Path] = []
    try:
        with progress_bar(source.name) as update:
            chunks = split_with_progress(
                source,
                max_duration_s=args.max_duration,
                max_tokens=args.max_tokens,
                max_encoded_bytes=args.max_bytes,
                overlap_s=overlap_s,
                silence_aware=not args.no_silence,
                model=args.model,
                keep_quality=args.keep_quality,
                on_progress=update,
            )
            for chunk in chunks:
                path = directory / f"{source.stem}.{chunk.index + 1:03d}{_EXTENSIONS[chunk.info.format]}"
                _write_new(path, chunk.data)
                paths.append(path)
                print(f"{path}  {chunk.start_s:9.2f}-{chunk.end_s:9.2f} s  {_mb(len(chunk.data))}")
                written.append((chunk.start_s, chunk.end_s, len(chunk.data)))
    except BaseException:
        _remove(paths, directory if created else None)
        raise
    _remove([p for p in old if p not in paths], None)
    total_s, size = written[-1][1], source.stat().st_size
    covered = sum(end - start for start, end, _ in written) - overlap_s * (len(written) - 1)
    after = sum(size for _, _, size in written)
    print(
        f"{len(written)} chunk{'s' * (len(written) != 1)}: {_mb(size)} -> {_mb(after)} in all; "
        f"{covered:,.2f} of {total_s:,.2f} s covered (overlap {overlap_s:g} s)"
    )
    return 0


def _remove(paths: list[Path], folder: Path | None) -> None:
    """Delete what a failed or interrupted split wrote (and the folder it created)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
    if folder is not None:
        with contextlib.suppress(OSError):
            folder.rmdir()
