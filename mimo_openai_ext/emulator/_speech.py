"""Speech the emulator's ASR model "recognises": a recording a test registered, and its words.

The emulator does not listen. So that a test can check what a transcription stitched
together, it registers a :class:`ScriptedSpeech`: a recording (16-bit mono PCM) and its
lines, each with its start and end in seconds (``EmulatorOptions(speech=(...,))``, or
``handle.configure(speech=...)`` on a running one). When audio sent to an ASR model is
found inside a registered recording, the answer is the words said in that piece of it:
each line's words are spread evenly over its span, and a word is heard when its middle
falls inside the piece (so a word on an overlap between two pieces is heard in both, as
a real model would). The piece is found by normalised cross-correlation of its loudest
second against the recording (resampled to the recording's rate first), so a WAV, an
MP3 or a 16-bit copy of it all match; audio found nowhere gets ``None`` (the emulator
then describes the piece: its duration and checksum). A piece that reaches past the
speech of the recording it was found in (the emulator's own speech, joined from several
requests) has that part looked for on its own, so its words are heard too.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING

from .._checks import check_count, check_type
from .._exceptions import CorruptAudioError, InvalidOptionError
from .._sample import SAMPLE_LINES, sample_audio_path

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["ScriptedSpeech", "recognise", "sample_speech"]

_PROBE_S = 1.0
"""The length of the stretch of a piece looked for in a recording."""
_MATCH = 0.8
"""The normalised correlation from which a piece counts as found."""
_DECIMATE = 4
_EDGE_S = 0.25
"""How far a piece may reach before the start or past the end of its recording and still match."""


@dataclass(frozen=True)
class ScriptedSpeech:
    """A recording and what is said in it, for the emulator's ASR model to "recognise"."""

    samples: bytes = field(repr=False)
    """16-bit little-endian mono PCM (``numpy_int16_array.tobytes()``)."""
    sample_rate_hz: int
    lines: tuple[tuple[float, float, str], ...]
    """``(start_s, end_s, text)`` of each line, in the recording's time."""

    def __post_init__(self) -> None:
        check_type(self.samples, bytes, option="samples", expected="bytes of 16-bit mono PCM")
        check_count(self.sample_rate_hz, option="sample_rate_hz", minimum=1000)
        check_type(self.lines, tuple, option="lines", expected="a tuple of (start_s, end_s, text)")
        for line in self.lines:
            if not (
                isinstance(line, tuple)
                and len(line) == 3
                and all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in line[:2])
                and isinstance(line[2], str)
                and 0 <= line[0] <= line[1]
            ):
                raise InvalidOptionError(
                    f"lines: {line!r} is not (start_s, end_s, text) with 0 <= start_s <= end_s",
                    option="lines",
                )

    @classmethod
    def from_array(
        cls, samples: object, sample_rate_hz: int, lines: Sequence[tuple[float, float, str]]
    ) -> ScriptedSpeech:
        """From float samples in [-1, 1] (mono) or int16 samples."""
        import numpy as np

        array = np.asarray(samples)
        if array.dtype.kind == "f":
            array = np.rint(np.clip(array, -1.0, 1.0) * 32767)
        return cls(array.astype("<i2").tobytes(), sample_rate_hz, tuple(lines))

    @cached_property
    def _audio(self) -> NDArray[np.float64]:
        """The samples as floats, with ``_EDGE_S`` of silence on both sides: a piece may reach a
        little past the recording's ends (an MP3's encoder delay and padding, a cut's margin)."""
        import numpy as np

        pad = np.zeros(self._pad)
        audio = np.frombuffer(self.samples, dtype="<i2").astype(np.float64) / 32768.0
        return np.concatenate((pad, audio, pad))

    @cached_property
    def _pad(self) -> int:
        return int(_EDGE_S * self.sample_rate_hz) // _DECIMATE * _DECIMATE

    @cached_property
    def _coarse(self) -> _Coarse:
        return _Coarse(self._audio)

    def locate(self, piece: NDArray[np.float64]) -> float | None:
        """Where ``piece`` (at this recording's rate) starts in the recording, in seconds.

        The loudest second of the piece is looked for at a quarter of the rate (one FFT
        correlation), then placed to the sample by direct correlation around that spot.
        """

        audio = self._audio
        width = min(piece.shape[0], int(_PROBE_S * self.sample_rate_hz)) // _DECIMATE * _DECIMATE
        if width < 64 * _DECIMATE or audio.shape[0] < width:
            return None
        hop = max(_DECIMATE, width // 4 // _DECIMATE * _DECIMATE)
        starts = range(0, piece.shape[0] - width + 1, hop)
        at = max(starts, key=lambda s: _energy(piece[s : s + width]))
        probe = piece[at : at + width]
        probe_norm = math.sqrt(_energy(probe))
        if probe_norm < 1e-6:
            return None
        rough = self._coarse.best(_decimated(probe))
        if rough is None:
            return None
        near = range(max(0, rough * _DECIMATE - 8), min(audio.shape[0] - width, rough * _DECIMATE + 8) + 1)
        scores = {
            start: float((audio[start : start + width] * probe).sum())
            / (math.sqrt(_energy(audio[start : start + width])) * probe_norm + 1e-12)
            for start in near
        }
        best = max(scores, key=scores.__getitem__)
        return (best - self._pad - at) / self.sample_rate_hz if scores[best] >= _MATCH else None

    def words_between(self, start_s: float, end_s: float) -> str:
        """The words whose middle lies in ``[start_s, end_s)``, lines in order."""
        heard = []
        for line_start, line_end, text in self.lines:
            words = text.split()
            step = (line_end - line_start) / max(len(words), 1)
            heard += [w for k, w in enumerate(words) if start_s <= line_start + (k + 0.5) * step < end_s]
        return " ".join(heard)


def _energy(samples: NDArray[np.float64]) -> float:
    """The sum of squares, without BLAS (whose threads crowd out the server's under load)."""
    return float((samples * samples).sum())


def _decimated(samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """The samples at a ``_DECIMATE``-th of the rate, low-passed first (soxr). Averaging blocks
    instead let a voice's upper harmonics alias down, and a piece starting a fraction of a block
    off (an MP3's encoder delay) then no longer matched its recording."""
    import soxr

    reduced: NDArray[np.float64] = soxr.resample(samples, _DECIMATE, 1)
    return reduced


class _Coarse:
    """A recording at a quarter of its rate, with its spectrum kept for correlations."""

    def __init__(self, audio: NDArray[np.float64]) -> None:
        import numpy as np

        self.audio = _decimated(audio)
        self.energy = np.concatenate(([0.0], np.cumsum(self.audio**2)))
        self.spectra: dict[int, NDArray[np.complex128]] = {}

    def best(self, probe: NDArray[np.float64]) -> int | None:
        """The start (in coarse samples) where ``probe`` correlates best, if it is a match."""
        import numpy as np

        width = probe.shape[0]
        valid = self.audio.shape[0] - width + 1
        if valid < 1:
            return None
        size = 1 << (self.audio.shape[0] + width).bit_length()
        spectrum = self.spectra.get(size)
        if spectrum is None:
            spectrum = self.spectra[size] = np.fft.rfft(self.audio, size)
        corr = np.fft.irfft(spectrum * np.conj(np.fft.rfft(probe, size)), size)[:valid]
        windows = np.sqrt(np.maximum(self.energy[width : width + valid] - self.energy[:valid], 1e-12))
        score = corr / (windows * math.sqrt(_energy(probe)) + 1e-12)
        best = int(np.argmax(score))
        return best if score[best] >= _MATCH else None


def _decode(data: bytes | bytearray) -> tuple[NDArray[np.float64], int] | None:
    import soundfile

    try:
        samples, rate = soundfile.read(io.BytesIO(bytes(data)), dtype="float64", always_2d=True)
    except (RuntimeError, ValueError, TypeError):
        return None
    mono: NDArray[np.float64] = samples.mean(axis=1)
    return mono, int(rate)


_REST_S = 0.1
"""A piece reaching this far past (or before) the speech of the recording it was found in holds
more: that part is looked for on its own (the emulator's speech, joined from several requests)."""
_DEPTH = 8


def _heard(
    samples: NDArray[np.float64], rate: int, speech: Sequence[ScriptedSpeech], depth: int
) -> str | None:
    """The words of ``samples`` (at ``rate``): found in one recording, and what reaches past its
    speech (a piece of speech joined from several recordings) looked for again, in order."""
    for script in speech:
        if rate != script.sample_rate_hz:
            import soxr

            scaled = soxr.resample(samples, rate, script.sample_rate_hz)
        else:
            scaled = samples
        offset = script.locate(scaled)
        if offset is None:
            continue
        end = offset + scaled.shape[0] / script.sample_rate_hz
        heard = [script.words_between(offset, end)]
        if depth < _DEPTH and script.lines:
            first = min(line[0] for line in script.lines)
            last = max(line[1] for line in script.lines)
            before, after = first - _REST_S - offset, end - (last + _REST_S)
            if before > _REST_S:
                head = _heard(samples[: int(before * rate)], rate, speech, depth + 1)
                heard.insert(0, head or "")
            if after > _REST_S:
                tail = _heard(samples[samples.shape[0] - int(after * rate) :], rate, speech, depth + 1)
                heard.append(tail or "")
        return " ".join(h for h in heard if h)
    return None


def recognise(data: bytes | bytearray, speech: Sequence[ScriptedSpeech]) -> str | None:
    """The words of the registered recording(s) that ``data`` is a piece of, or None."""
    if not speech:
        return None
    decoded = _decode(data)
    if decoded is None:
        return None
    piece, rate = decoded
    return _heard(piece, rate, speech, 0)


@cache
def sample_speech() -> ScriptedSpeech:
    """The shipped speech sample and what it says (``SAMPLE_LINES``), decoded once per process."""
    path = sample_audio_path()
    decoded = _decode(path.read_bytes())
    if decoded is None:  # the package's own file: only a damaged install gets here
        raise CorruptAudioError(
            f"{path}: the shipped speech sample does not decode; reinstall mimo-openai-ext, or "
            "start the emulator with hear_sample=False",
            source_name=str(path),
        )
    samples, rate = decoded
    return ScriptedSpeech.from_array(samples, rate, SAMPLE_LINES)
