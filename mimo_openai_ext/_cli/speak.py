"""``mimo-audio speak``: text in, a speech file out, through MiMo's speech models.

A shell over :func:`speak`: it reads the text (``-`` reads standard input), picks the
format from ``--format`` or the output's name, refuses to replace a file without
``--overwrite`` before anything is sent, calls the library, saves the result and prints one
line about it on stderr (``-o -`` writes the audio to standard output).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .._config import DEFAULT_SPEECH_MODELS, MODELS, SPEECH_FORMATS, SpeechFormat
from .._exceptions import InvalidOptionError
from .._speech.result import EXTENSIONS, Speech, check_speech_target, formats_for_path, speech_endings
from .._speech.speak import speak
from . import CliUsageError
from ._connection import add_connection_arguments, open_client, retry_reporter
from ._stdin import STDIN, is_stdin
from ._types import positive_float, positive_int

__all__ = ["register"]

_EPILOG = """\
TEXT '-' reads the text from standard input; -o - writes the audio to standard output.
The format is --format, else the output's extension (hello.mp3), else wav; an extension
of another kind of file (.m4a, .txt) is refused. MiMo returns
wav, mp3 and pcm; flac, opus and aac are encoded here. Text over the model's limit (2,500
characters) is spoken in pieces, cut at sentences, and joined.

exit status:
  0  the speech was written
  1  the API call failed (HTTP error, connection error)
  2  a usage mistake (bad option, an existing output without --overwrite, ...)
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "speak",
        help="say a text with MiMo's speech models and write the audio",
        description="Say TEXT with MiMo's speech (TTS) models: a built-in voice, a voice described "
        "in words (--voice-design) or the voice of a recording (--voice-clone).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("text", metavar="TEXT", help="the words to say ('-': read standard input)")
    parser.add_argument(
        "-o", "--output", metavar="OUT", required=True, help="the audio file to write ('-': stdout)"
    )
    preset = MODELS.get(DEFAULT_SPEECH_MODELS["preset"])
    voices = (
        ", ".join(preset.speech.voices) if preset is not None and preset.speech is not None else "see MODELS"
    )
    parser.add_argument("--voice", metavar="V", help=f"a built-in voice ({voices}); OpenAI names such as "
                        "alloy are mapped")  # fmt: skip
    parser.add_argument("--voice-design", metavar="WORDS", help="describe the voice in words instead")
    parser.add_argument("--voice-clone", metavar="FILE", help="imitate the voice of this recording instead "
                        "(5-30 s of clear speech; any format this tool reads)")  # fmt: skip
    parser.add_argument("--style", metavar="WORDS", help="how to say it, in words ('slowly, warmly')")
    parser.add_argument(
        "--format", choices=SPEECH_FORMATS, help="the audio format (default: from OUT's name)"
    )
    parser.add_argument("--speed", type=positive_float, metavar="X", help="play X times as fast, 0.25-4 "
                        "(done here: MiMo's own speed setting had no effect)")  # fmt: skip
    parser.add_argument("--max-chars", type=positive_int, metavar="N", help="characters per request "
                        "(default: the model's limit)")  # fmt: skip
    parser.add_argument("--concurrency", type=positive_int, default=4, metavar="N",
                        help="pieces of a long text spoken at once (default: 4)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    add_connection_arguments(parser, model_help=f"speech model (default: {DEFAULT_SPEECH_MODELS['preset']}, "
                             "or the design/clone model for --voice-design/--voice-clone)")  # fmt: skip
    parser.set_defaults(func=run_speak)


def _text(argument: str) -> str:
    if argument != STDIN:
        return argument
    stream = sys.stdin
    if stream is None or stream.isatty():
        raise CliUsageError(
            "'-' reads the text from standard input, but nothing is piped in: use e.g. "
            "`echo 'Hello' | mimo-audio speak - -o hello.wav`, or give the text as an argument"
        )
    return stream.read()


def _format(args: argparse.Namespace) -> SpeechFormat:
    allowed = None if is_stdin(args.output) else formats_for_path(args.output)
    suffix = Path(args.output).suffix
    if allowed == ():
        raise CliUsageError(
            f"{args.output}: speak cannot write {suffix} files; end the name in one of {speech_endings()} "
            "(or give no extension and choose with --format)"
        )
    if args.format is not None and allowed is not None and args.format not in allowed:
        raise CliUsageError(
            f"{args.output}: the name says {' or '.join(allowed)}, but --format is {args.format}; name it "
            f"{Path(args.output).with_suffix(EXTENSIONS[args.format]).name} or drop --format"
        )
    chosen: SpeechFormat = args.format or (allowed[0] if allowed else "wav")
    return chosen


def _summary(out: str, speech: Speech) -> str:
    voice = speech.voice or f"a {'designed' if speech.voice_kind == 'design' else 'cloned'} voice"
    return (
        f"{out}: {speech.format}, {speech.duration_s:.2f} s, {speech.sample_rate_hz} Hz, "
        f"{speech.size_bytes:,} bytes; {speech.model}, {voice}, {speech.requests} request"
        f"{'s' * (speech.requests != 1)}, {speech.cost_text}"
    )


_FLAGS = {
    "voice_design": "--voice-design",
    "voice_clone": "--voice-clone",
    "max_chars": "--max-chars",
    "concurrency": "--concurrency",
    "voice": "--voice",
    "style": "--style",
    "speed": "--speed",
    "format": "--format",
    "model": "--model",
    "text": "TEXT",
}
_OPTION = re.compile(
    r"(?<![\w.-])(?:(voice_design|voice_clone|max_chars)(=)?|(concurrency|voice|style|speed|format|model|text)=)"
)


def in_flags(message: str) -> str:
    """``speak()``'s message in the command's words: ``voice='Bob'`` -> ``--voice 'Bob'``,
    ``voice_design`` -> ``--voice-design``, ``text=`` -> ``TEXT=`` (English words stay)."""

    def swap(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        flag = _FLAGS[name]
        said = bool(match.group(2)) or match.group(3) is not None
        rest = match.string[match.end() : match.end() + 1]
        if not said or rest in ("", " ", ")", ",", ";"):  # a name, not a value: drop the "="
            return flag
        return f"{flag}=" if not flag.startswith("--") else f"{flag} "

    return _OPTION.sub(swap, message).replace("speak() needs", "mimo-audio speak needs")


def run_speak(args: argparse.Namespace) -> int:
    fmt = _format(args)
    if not is_stdin(args.output):  # before anything is sent: a folder, a missing folder, a file kept
        check_speech_target(args.output)
        if Path(args.output).exists() and not args.overwrite:
            raise CliUsageError(
                f"{args.output}: already exists; pass --overwrite to replace it, or choose another -o"
            )
    text = _text(args.text)
    with open_client(args) as client:
        try:
            spoken = speak(
                client,
                text,
                voice=args.voice,
                format=fmt,
                model=args.model,
                voice_design=args.voice_design,
                voice_clone=args.voice_clone,
                style=args.style,
                speed=1.0 if args.speed is None else args.speed,
                max_chars=args.max_chars,
                concurrency=args.concurrency,
                retry=retry_reporter(),
            )
        except InvalidOptionError as exc:  # checked before anything is sent: say it with the flags
            raise CliUsageError(in_flags(str(exc))) from exc
    if is_stdin(args.output):
        sys.stdout.buffer.write(spoken.data)
        sys.stdout.buffer.flush()
        out = "<stdout>"
    else:
        out = str(spoken.save(args.output))
    print(f"mimo-audio: {_summary(out, spoken)}", file=sys.stderr)
    return 0
