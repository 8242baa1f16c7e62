"""``mimo-audio probe FILE...`` and ``mimo-audio estimate FILE... [--model M] [--json]``.

Each file is handled on its own: a refused file prints one error line and the others
still run, whatever happened to it (even an unexpected error inside the library is one
line naming the file, never a traceback that stops the rest). Exit codes: 0 all good;
2 some file could not be read; 1 (``estimate``) every file was read but something is
over a limit.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import warnings

from .._audio.probe import AudioInfo, probe_audio
from .._config import DEFAULT_MODEL, ModelSpec
from .._exceptions import MimoAudioError, MimoAudioWarning
from .._models import check_model, model_warned
from .._request_estimate import AudioLimitCheck, check_audio_set
from ._connection import add_allow_retired_argument
from ._stdin import is_stdin, stdin_file
from ._types import model_id

__all__ = ["register"]

_FAILED = 2
"""Some file could not be read (refused format, corrupt, missing)."""
_DOES_NOT_FIT = 1
"""``estimate``: every file was read, but one is over a limit (size, context, ASR format)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probe = subparsers.add_parser(
        "probe",
        help="show each file's real format, duration, sample rate and size (headers only)",
        description="Read each file's headers: format (from the bytes, not the name), MIME, codec, "
        "duration, sample rate, channels, size and estimated audio tokens.",
    )
    probe.add_argument("files", nargs="+", metavar="FILE", help="audio files ('-' reads standard input)")
    probe.add_argument("--json", action="store_true", help="print one JSON document")
    probe.set_defaults(func=run_probe)

    estimate = subparsers.add_parser(
        "estimate",
        help="estimate audio tokens and check each file against MiMo's limits",
        description="Estimate each file's audio tokens (duration x 6.25), whether it fits the model's "
        "context, and its base64 data URI size against MiMo's limit. Exit 1 when something is over a "
        "limit, 2 when a file cannot be read.",
    )
    estimate.add_argument("files", nargs="+", metavar="FILE", help="audio files ('-' reads standard input)")
    estimate.add_argument(
        "--model", type=model_id, default=DEFAULT_MODEL, help=f"model id (default: {DEFAULT_MODEL})"
    )
    add_allow_retired_argument(estimate)
    estimate.add_argument("--json", action="store_true", help="print one JSON document")
    estimate.set_defaults(func=run_estimate)


def _probe_all(files: list[str]) -> tuple[list[tuple[str, AudioInfo | Exception]], bool]:
    results: list[tuple[str, AudioInfo | Exception]] = []
    for path in files:
        try:
            source = stdin_file() if is_stdin(path) else path
            results.append((path, probe_audio(source)))
        except Exception as exc:  # one file's failure, whatever it is, never stops the others
            results.append((path, exc))
    return results, not any(isinstance(result, Exception) for _, result in results)


def _error_text(path: str, exc: Exception) -> str:
    if isinstance(exc, MimoAudioError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{path}: cannot be read ({exc.strerror or exc})"
    return (
        f"{path}: unexpected {type(exc).__name__} while reading its headers ({exc}); this is a bug "
        "in mimo-openai-ext: please report it with the file"
    )


def _error_line(path: str, exc: Exception) -> str:
    return f"mimo-audio: error: {_error_text(path, exc)}"


def _info_dict(path: str, info: AudioInfo) -> dict[str, object]:
    return {
        "file": path,
        "format": info.format,
        "mime": info.mime,
        "codec": info.codec,
        "duration_s": round(info.duration_s, 3),
        "sample_rate_hz": info.sample_rate_hz,
        "channels": info.channels,
        "size_bytes": info.size_bytes,
        "audio_tokens": info.audio_tokens,
    }


def _error_dict(path: str, exc: Exception) -> dict[str, object]:
    return {"file": path, "error": _error_text(path, exc), "error_type": type(exc).__name__}


def run_probe(args: argparse.Namespace) -> int:
    results, ok = _probe_all(args.files)
    if args.json:
        rows = [_error_dict(p, r) if isinstance(r, Exception) else _info_dict(p, r) for p, r in results]
        print(json.dumps({"files": rows}, indent=2))
    for path, result in results:
        if isinstance(result, Exception):
            print(_error_line(path, result), file=sys.stderr)
        elif not args.json:
            print(
                f"{path}: {result.format} ({result.mime}, {result.codec}), {result.duration_s:.3f} s, "
                f"{result.sample_rate_hz} Hz, {result.channels} ch, {result.size_bytes:,} bytes, "
                f"~{result.audio_tokens:,} audio tokens"
            )
    return 0 if ok else _FAILED


def _row(path: str, result: AudioInfo, check: AudioLimitCheck) -> dict[str, object]:
    row = _info_dict(path, result)
    row.update(
        data_uri_chars=check.data_uri_chars,
        data_uri_limit=check.data_uri_limit,
        data_uri_fits=check.data_uri_fits,
        context_tokens=check.context_tokens,
        fits_context=check.fits_context,
        fits=check.fits,
    )
    if check.format_accepted is not None:
        row["format_accepted"] = check.format_accepted
    row["remedy"] = check.remedy
    return row


def _fit_text(row: dict[str, object], model: ModelSpec) -> str:
    size = "fits" if row["data_uri_fits"] else "TOO LARGE"
    context = "fits" if row["fits_context"] else "DOES NOT FIT"
    text = (
        f"{row['file']}: {row['format']}, {row['duration_s']} s, ~{row['audio_tokens']:,} audio tokens "
        f"({context} {model.id}'s {model.context_tokens:,}-token context); base64 data URI "
        f"{row['data_uri_chars']:,} / {row['data_uri_limit']:,} chars ({size})"
    )
    if row.get("format_accepted") is False:
        takes = f"only {', '.join(model.asr_formats)}" if model.asr else "no audio (a text-only model)"
        text += f"; {model.id} takes {takes}"
    advice = _advice(row, model)
    return f"{text}\n  -> {advice}" if advice else text


def _advice(row: dict[str, object], model: ModelSpec) -> str:
    """The library's remedy for a file over a limit, as the command to run."""
    name = "FILE" if str(row["file"]) == "-" else shlex.quote(str(row["file"]))
    commands = {
        "transcribe": f"transcribe it (any length; cut and re-encoded for {model.id} for you): "
        f"`mimo-audio transcribe {name}`",
        "audio_model": "pick a model that takes audio, e.g. --model " + DEFAULT_MODEL,
        "split": f'ask about it in chunks: `mimo-audio ask {name} "QUESTION" --split`',
        "fit_split_or_url": f"shrink it: `mimo-audio fit {name}`, ask about it in chunks: "
        f'`mimo-audio ask {name} "QUESTION" --split`, or send it as an https URL',
    }
    return commands.get(str(row["remedy"]), "")


def _model(model_id: str) -> ModelSpec:
    """Look the model up (a retired one raises); an unknown or retiring one is a one-line warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MimoAudioWarning)
        spec = check_model(model_id)
    for warning in caught:
        print(f"mimo-audio: warning: {warning.message}", file=sys.stderr)
    return spec


def run_estimate(args: argparse.Namespace) -> int:
    model = _model(args.model)
    results, ok = _probe_all(args.files)
    with model_warned(model.id):  # said once above
        together = check_audio_set([r for _, r in results if isinstance(r, AudioInfo)], model=model.id)
    checks = iter(together.files)
    rows = [_error_dict(p, r) if isinstance(r, Exception) else _row(p, r, next(checks)) for p, r in results]
    good = [r for r in rows if "error" not in r]
    total, fits = together.total_audio_tokens, together.fits
    if args.json:
        summary = {"model": model.id, "files": rows, "total_audio_tokens": total, "all_fit": fits}
        print(json.dumps(summary, indent=2))
    for row, (path, result) in zip(rows, results, strict=True):
        if isinstance(result, Exception):
            print(_error_line(path, result), file=sys.stderr)
        elif not args.json:
            print(_fit_text(row, model))
    if not args.json and len(good) > 1:
        verdict = "fits" if together.fits_context else "does NOT fit"
        print(f"total: ~{total:,} audio tokens in one request ({verdict} {model.context_tokens:,})")
    if not ok:
        return _FAILED
    return 0 if fits else _DOES_NOT_FIT
