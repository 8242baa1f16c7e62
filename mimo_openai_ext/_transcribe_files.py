"""Transcribe many recordings into files: SRT, WebVTT, JSON or text, one output each, resumable.

What ``mimo-audio transcribe`` runs. :func:`plan_outputs` decides where each transcript
goes (one file, or one file per recording in a folder: ``talk.wav`` -> ``DIR/talk.srt``)
and refuses to overwrite an output unless asked; :func:`transcribe_files` transcribes the
recordings several at a time, their pieces sharing one ceiling of requests in flight and
one rate limiter, and writes each output whole (a temporary file renamed into place), so
an interrupted run leaves no partial output. An output that holds a transcript with
failed pieces (``[not transcribed: ...]``, or ``"complete": false`` in JSON) is not done:
``resume=True`` transcribes again exactly those, and the recordings with no output yet.
A recording that cannot be transcribed at all is reported and the others go on; an error
every recording would get (a bad key, HTTP 401/402/403/404) stops the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ._audio.source import AudioSource
from ._batch.engine import run_pool
from ._checks import check_bool
from ._exceptions import InvalidOptionError, ResultsFileError
from ._transcribe import TranscribeOptions, run_transcription
from ._transcript import Transcript

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = [
    "EXTENSIONS",
    "OUTPUT_FORMATS",
    "FileResult",
    "OutputFormat",
    "is_complete_output",
    "plan_outputs",
    "render",
    "transcribe_files",
    "write_whole",
]

OutputFormat = Literal["text", "srt", "vtt", "json"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("text", "srt", "vtt", "json")
EXTENSIONS: dict[OutputFormat, str] = {"text": ".txt", "srt": ".srt", "vtt": ".vtt", "json": ".json"}
_NOT_TRANSCRIBED = "[not transcribed"
"""What every format writes where a piece failed (JSON also says ``"complete": false``)."""


def render(transcript: Transcript, fmt: OutputFormat) -> str:
    """The transcript as the text of an output file."""
    if fmt == "srt":
        return transcript.to_srt()
    if fmt == "vtt":
        return transcript.to_vtt()
    if fmt == "json":
        return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return transcript.text + "\n"


def is_complete_output(path: Path, fmt: OutputFormat) -> bool:
    """Whether ``path`` holds a whole transcript (every piece transcribed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if fmt == "json":
        try:
            return json.loads(text).get("complete") is True
        except (ValueError, AttributeError):
            return False
    return _NOT_TRANSCRIBED not in text


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise


def _names(sources: Sequence[str], fmt: OutputFormat) -> list[str]:
    """Output file names: ``talk.srt``; ``talk.wav.srt`` where two sources share a stem."""
    stems = Counter(Path(s).stem for s in sources)
    names = [(Path(s).stem if stems[Path(s).stem] == 1 else Path(s).name) + EXTENSIONS[fmt] for s in sources]
    clashes = [n for n, count in Counter(names).items() if count > 1]
    if clashes:
        same = [s for s, n in zip(sources, names, strict=True) if n == clashes[0]]
        raise InvalidOptionError(
            f"{' and '.join(same[:2])} would both be written to {clashes[0]}: transcribe them into "
            "different folders (-o), or rename one",
            option="output",
        )
    return names


def plan_outputs(
    sources: Sequence[str], output: str | None, fmt: OutputFormat, *, into_folder: bool
) -> list[Path | None]:
    """Where each source's transcript goes: ``None`` (standard output) for one source and no
    ``output``; ``output`` itself for one source into a file; else ``output/<name>``."""
    if output is None:
        if len(sources) > 1 or into_folder:
            raise InvalidOptionError(
                f"{len(sources)} recordings: give a folder for their transcripts (-o DIR), one file each",
                option="output",
            )
        return [None]
    target = Path(output)
    if not into_folder and len(sources) == 1 and not target.is_dir() and not output.endswith(os.sep):
        return [target]
    if target.exists() and not target.is_dir():
        raise InvalidOptionError(
            f"{output} is a file: {len(sources)} recordings need a folder (-o DIR), one transcript each",
            option="output",
        )
    if not target.exists() and target.suffix and not output.endswith(("/", os.sep)):
        many = f"{len(sources)} recordings need" if len(sources) > 1 else "a folder or glob needs"
        raise InvalidOptionError(
            f"{output} names a file ({target.suffix}), but {many} a folder (-o DIR), one transcript "
            "each; for a folder by that name, end it with a slash: "
            f"-o {output}/",
            option="output",
        )
    return [target / name for name in _names(sources, fmt)]


def _check_existing(paths: Sequence[Path | None], *, resume: bool, overwrite: bool) -> None:
    if resume and overwrite:
        raise InvalidOptionError("resume and overwrite contradict each other: pick one", option="overwrite")
    existing = [p for p in paths if p is not None and p.exists()]
    if existing and not (resume or overwrite):
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ResultsFileError(
            f"{existing[0]} already exists{more}: add --resume to keep the finished transcripts and do the "
            "rest, --overwrite to start over, or choose another -o",
            path=str(existing[0]),
        )


@dataclass(frozen=True)
class FileResult:
    """One recording of the run: its transcript (written to ``output``), or its error."""

    source: str
    output: str | None
    transcript: Transcript | None = None
    error: BaseException | None = None
    resumed: bool = False
    """Left alone: its output already held a whole transcript."""

    @property
    def ok(self) -> bool:
        return self.error is None and (
            self.resumed or (self.transcript is not None and self.transcript.complete)
        )


def _label(source: AudioSource, name: str | None) -> str:
    return name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<audio>")


async def transcribe_files(
    client: AsyncOpenAI,
    sources: Sequence[AudioSource],
    outputs: Sequence[Path | None],
    *,
    fmt: OutputFormat,
    options: TranscribeOptions,
    resume: bool = False,
    overwrite: bool = False,
    on_file: Callable[[FileResult], None] | None = None,
    write_stdout: Callable[[str], None] | None = None,
) -> list[FileResult]:
    """Transcribe each source into its output (``None``: ``write_stdout``), ``options.concurrency``
    requests in flight across all of them; see the module docstring."""
    check_bool(resume, option="resume")
    check_bool(overwrite, option="overwrite")
    _check_existing(outputs, resume=resume, overwrite=overwrite)
    slots = asyncio.Semaphore(options.concurrency)
    results: list[FileResult | None] = [None] * len(sources)

    async def one(index: int) -> None:
        source, path = sources[index], outputs[index]
        label = _label(source, options.name)
        shown = None if path is None else str(path)
        if resume and path is not None and path.exists() and is_complete_output(path, fmt):
            result = FileResult(label, shown, resumed=True)
        else:
            try:
                transcript = await run_transcription(client, source, options, slots)
            except Exception as exc:
                if getattr(exc, "status_code", None) in (401, 402, 403, 404):
                    raise
                result = FileResult(label, shown, error=exc)
            else:
                text = render(transcript, fmt)
                if path is None:
                    if write_stdout is not None:
                        write_stdout(text)
                else:
                    await asyncio.to_thread(write_whole, path, text)
                result = FileResult(label, shown, transcript)
        results[index] = result
        if on_file is not None:
            on_file(result)

    for folder in {p.parent for p in outputs if p is not None}:
        folder.mkdir(parents=True, exist_ok=True)
    await run_pool(list(range(len(sources))), one, concurrency=options.concurrency)
    return [r for r in results if r is not None]
