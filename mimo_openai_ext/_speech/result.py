"""What ``speak()`` returns: the audio, what it is, and how it was made.

A :class:`Speech` holds the bytes (``data``) in the format asked for, its sample rate and
duration, the model and voice, the requests it took and their usage. ``save(path)`` writes
it (atomically: a temporary file renamed into place); in Jupyter it shows an audio player.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .._audio.convert import Encoding, encode_samples
from .._audio.datauri import data_uri
from .._checks import check_bool, check_path
from .._config import AUDIO_FORMATS, CONVERTIBLE_EXTENSIONS, SPEECH_MIMES, SpeechFormat, VoiceKind
from .._exceptions import InvalidOptionError
from .._format import esc, money, seconds_text, short, table
from .._models import get_model
from .._usage import UsageReport

__all__ = ["EXTENSIONS", "MAX_PLAYER_CHARS", "Speech", "check_speech_target", "formats_for_path"]

MAX_PLAYER_CHARS = 10_000_000
"""A player's data URI longer than this is left out (it would bloat the notebook file)."""

_SUFFIXES: dict[str, tuple[SpeechFormat, ...]] = {
    ".wav": ("wav",),
    ".wave": ("wav",),
    ".mp3": ("mp3",),
    ".flac": ("flac",),
    ".opus": ("opus",),
    ".ogg": ("opus",),
    ".oga": ("opus",),
    ".aac": ("aac",),
    ".pcm": ("pcm", "pcm16"),
    ".raw": ("pcm", "pcm16"),
}
"""Audio file name endings and the speech formats each may hold (others are not checked)."""
EXTENSIONS: dict[str, str] = {
    "wav": ".wav",
    "mp3": ".mp3",
    "flac": ".flac",
    "opus": ".opus",
    "aac": ".aac",
    "pcm": ".pcm",
    "pcm16": ".pcm",
}
"""The file name ending each speech format is saved with."""


def _names_another_kind(suffix: str) -> bool:
    """Whether a file name ending says a kind of file speech cannot be (``.m4a``, ``.txt``, ...):
    an audio format this library reads, or a type Python's own MIME table knows (system files
    left out, so every machine answers alike); ``.bin`` (any bytes) is not one."""
    if suffix in CONVERTIBLE_EXTENSIONS or any(suffix in f.extensions for f in AUDIO_FORMATS.values()):
        return True
    mime, _ = mimetypes.MimeTypes().guess_type(f"x{suffix}", strict=False)
    return mime is not None and mime != "application/octet-stream"


def formats_for_path(path: str | os.PathLike[str]) -> tuple[SpeechFormat, ...] | None:
    """The speech formats a file name may hold (``hello.pcm`` -> ``("pcm", "pcm16")``).

    ``()`` for an ending that names a format speech is never written in (``.m4a``, ``.txt``);
    None for no ending or one nothing knows (the format is then chosen otherwise).
    """
    suffix = Path(path).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    return () if suffix and _names_another_kind(suffix) else None


def speech_endings() -> str:
    """The file name endings speech is written with, for messages (``.wav, .mp3, ...``)."""
    return ", ".join(dict.fromkeys(_SUFFIXES))


def check_speech_target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a place a file can be written: not a folder, in a folder that exists.

    Checked before anything is spoken (the CLI) or written (:meth:`Speech.save`), so the
    error names the path given, not the temporary file beside it.
    """
    target = Path(path)
    if target.is_dir():
        raise InvalidOptionError(
            f"{path}: is a folder; name a file inside it (such as {target / 'speech.wav'})", option="path"
        )
    folder = target.parent
    if not folder.is_dir():
        found = "is not a folder" if folder.exists() else "does not exist"
        raise InvalidOptionError(
            f"{path}: the folder {folder} {found}; create it first, or choose another path", option="path"
        )
    return target


_KIND_WORDS = {"preset": "the default voice", "design": "a designed voice", "clone": "a cloned voice"}


@dataclass(frozen=True)
class Speech:
    """Speech from MiMo: the bytes in ``format``, what they are, and how they were made.

    ``sample_rate_hz`` is the rate of the audio encoded: for Opus that is MiMo's 24,000 Hz,
    while :func:`probe_bytes` of the same bytes says 48,000 (the rate every Opus decoder plays
    at). Both are right: they answer different questions.
    """

    data: bytes = field(repr=False)
    format: SpeechFormat
    sample_rate_hz: int
    duration_s: float
    model: str
    voice: str | None
    """The preset voice (``"mimo_default"``, ``"Mia"``, ...); None for a designed or cloned voice."""
    voice_kind: VoiceKind
    text: str = field(repr=False)
    requests: int
    """Requests sent (a long text is spoken in pieces, then joined)."""
    usage: UsageReport = field(repr=False)
    channels: int = 1

    @property
    def mime(self) -> str:
        """The format's ``Content-Type`` (``audio/wav``, ``audio/mpeg``, ...)."""
        return SPEECH_MIMES[self.format]

    @property
    def size_bytes(self) -> int:
        return len(self.data)

    @property
    def cost_text(self) -> str:
        """What it cost: ``$0 (free for a limited time)`` while MiMo's speech is free, else dollars."""
        price = get_model(self.model, warn=False).price
        if self.usage.cost_usd == 0 and price is not None and price.note:
            return f"$0 ({price.note})"
        return money(self.usage.cost_usd)

    def __repr__(self) -> str:
        voice = self.voice or _KIND_WORDS[self.voice_kind]
        return (
            f"Speech({self.format}, {self.duration_s:.2f} s, {self.sample_rate_hz} Hz, "
            f"{self.size_bytes:,} bytes, {self.model}, {voice}, {self.requests} request"
            f"{'s' * (self.requests != 1)}: {short(self.text, 40)!r})"
        )

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
        """Write the audio to ``path`` (a temporary file renamed into place); returns the path.

        A name ending in another format's extension (``.wav`` for MP3 speech, ``.m4a``,
        ``.txt``) is refused, as are a folder, a folder that does not exist, and an existing
        file when ``overwrite=False``; a name with no or an unknown ending is written as is.
        """
        check_path(path, option="path", none=False)
        check_bool(overwrite, option="overwrite")
        target = Path(path)
        allowed = formats_for_path(target)
        if allowed is not None and self.format not in allowed:
            could = f"ask speak() for format={allowed[0]!r}" if allowed else f"end it in {speech_endings()}"
            raise InvalidOptionError(
                f"{target.name}: the speech is {self.format}, but the name says {target.suffix}; save it "
                f"as {target.with_suffix(EXTENSIONS[self.format]).name}, or {could}",
                option="path",
            )
        check_speech_target(target)
        if not overwrite and target.exists():
            raise InvalidOptionError(
                f"{target}: exists; pass overwrite=True to replace it, or choose another name",
                option="path",
            )
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(self.data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def _player_uri(self) -> str:
        if self.format not in ("pcm", "pcm16"):
            return data_uri(self.data, self.mime)
        import numpy as np

        samples = np.frombuffer(self.data, dtype="<i2").astype(np.float32) / 32768.0
        wav = encode_samples(samples[:, None], Encoding("wav", self.sample_rate_hz, 1, "PCM_16"))
        return data_uri(wav, "audio/wav")

    def _repr_html_(self) -> str:  # Jupyter
        """An audio player, and what the speech is."""
        uri = self._player_uri() if 4 * len(self.data) // 3 < MAX_PLAYER_CHARS else ""
        player = (
            f'<audio controls preload="metadata" src="{esc(uri)}"></audio>'
            if uri
            else f"<p><i>player omitted: {self.size_bytes:,} bytes is too much to embed</i></p>"
        )
        rows = [
            ("format", f"{self.format} ({self.mime})"),
            ("duration", seconds_text(self.duration_s)),
            ("sample rate", f"{self.sample_rate_hz:,} Hz"),
            ("size", f"{self.size_bytes:,} bytes"),
            ("model", self.model),
            ("voice", self.voice or _KIND_WORDS[self.voice_kind]),
            ("requests", str(self.requests)),
            ("cost", self.cost_text),
            ("text", short(self.text, 120)),
        ]
        return f"<div>{player}{table(rows, title='Speech')}</div>"
