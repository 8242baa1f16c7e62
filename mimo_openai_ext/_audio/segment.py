"""Cut speech into pieces for MiMo's ASR model, at pauses, each with its true place in time.

One pass over the audio: blocks are decoded, mixed to mono, resampled to 16 kHz and fed
to a voice-activity detector (:mod:`.vad`); the samples since the last cut are kept (a
piece at most), so a recording of any length is cut in bounded memory.

The rules:

* A pause is ``min_pause_s`` (0.4 s) or more without speech. Each stretch of speech
  between pauses is one piece: a sentence, or a clause. Its audio reaches ``pad_s`` into
  the pauses around it (never past half of one), and its place on the timeline is where
  its speech starts and ends (a detector frame is 20 or 32 ms).
* A stretch longer than ``max_piece_s`` is cut at the longest shorter gap in speech
  (``min_gap_s``, 0.1 s, or more) whose middle lies in its second half, so no word spans
  the cut. Where there is none (continuous speech, music) the cut falls at
  ``max_piece_s`` and the next piece starts ``overlap_s`` earlier: the words heard twice
  are removed from the text later by aligning the two pieces' words; the timeline
  boundary is the middle of the overlap.
* Speech shorter than ``min_speech_s`` (0.15 s) on its own (a click) is left out.
* A piece is mono 16 kHz 16-bit WAV; one whose data URI would pass the ASR limit is MP3
  at the highest bitrate that fits (64 kbps at most, transparent for speech at 16 kHz).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._exceptions import AudioTooLargeError
from .._interrupt import deferred_interrupts
from .convert import BLOCK_FRAMES, Encoding, ProgressCallback, encode_samples
from .resample import Resampler, downmix
from .stream import AudioStream
from .vad import SPEECH_RATE_HZ, SpeechDetector

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["PiecePlan", "SpeechPiece", "speech_pieces"]

_MP3_KBPS = (8, 16, 24, 32, 40, 48, 56, 64)
"""MPEG-2 Layer III bitrates up to 64 kbps (16 kHz is an MPEG-2 rate)."""
_MP3_SPARE_BYTES = 4096
_WAV_HEADER_BYTES = 44


@dataclass(frozen=True)
class PiecePlan:
    """How a recording is cut (see the module docstring); all times in seconds."""

    max_piece_s: float
    max_wav_bytes: int
    """The largest WAV piece whose data URI fits the ASR limit."""
    max_mp3_bytes: int
    min_pause_s: float = 0.4
    min_gap_s: float = 0.1
    overlap_s: float = 1.0
    pad_s: float = 0.2
    min_speech_s: float = 0.15


@dataclass(frozen=True)
class SpeechPiece:
    """One piece of speech, ready to send, and where it lies in the recording."""

    index: int
    start_s: float
    """Where the audio sent starts in the original, in seconds."""
    end_s: float
    speech_start_s: float
    """Where the piece's speech starts on the timeline (its segment's start)."""
    speech_end_s: float
    overlaps_previous: bool
    """The piece starts inside the previous one (no pause to cut at): its first words are
    heard twice, and the text is aligned at this seam."""
    data: bytes = field(repr=False)
    encoding: Encoding

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def mime(self) -> str:
        return self.encoding.mime


@dataclass(frozen=True)
class _Cut:
    """A piece decided on: sample range of its audio, its timeline span, whether it overlaps."""

    audio_start: int
    audio_end: int
    speech_start_s: float
    speech_end_s: float
    overlaps_previous: bool


class _Cutter:
    """The frame-by-frame rules of the module docstring, in detector frames and samples."""

    def __init__(self, plan: PiecePlan, frame_samples: int, start_threshold: float, end_threshold: float):
        self.frame = frame_samples
        frame_s = frame_samples / SPEECH_RATE_HZ
        self.min_pause = max(1, round(plan.min_pause_s / frame_s))
        self.min_gap = max(1, round(plan.min_gap_s / frame_s))
        self.min_speech = max(1, round(plan.min_speech_s / frame_s))
        self.max_frames = max(2, int(plan.max_piece_s / frame_s))
        self.overlap = min(round(plan.overlap_s / frame_s), self.max_frames // 4)
        self.pad = min(round(plan.pad_s * SPEECH_RATE_HZ), self.min_pause * frame_samples // 2)
        self.start_threshold, self.end_threshold = start_threshold, end_threshold
        self.speaking = False
        self.start: int | None = None
        """First speech frame of the open piece."""
        self.speech_end = 0
        self.silence = 0
        self.gaps: list[tuple[int, int]] = []
        self.audio_floor = 0
        """No later piece's audio starts before this sample (the previous piece's end)."""
        self.seam: tuple[int, float] | None = None
        """For a piece that starts at an overlap cut: its audio start (sample) and timeline start (s)."""
        self.frames_seen = 0

    def _seconds(self, frame: float) -> float:
        return frame * self.frame / SPEECH_RATE_HZ

    def feed(self, probabilities: NDArray[np.float32]) -> list[_Cut]:
        cuts: list[_Cut] = []
        for p in probabilities.tolist():
            f = self.frames_seen
            self.frames_seen += 1
            self.speaking = p >= (self.end_threshold if self.speaking else self.start_threshold)
            if self.speaking:
                if self.start is None:
                    self.start, self.gaps = f, []
                elif self.silence >= self.min_gap:
                    self.gaps.append((self.speech_end, f))
                self.speech_end, self.silence = f + 1, 0
            elif self.start is not None:
                self.silence += 1
                if self.silence >= self.min_pause:
                    cuts.extend(self._close(self.speech_end * self.frame + self.pad))
            if self.start is not None and f + 1 - self.start > self.max_frames:
                cuts.append(self._split(self.start, f + 1))
        return cuts

    def finish(self, total_samples: int) -> list[_Cut]:
        """The last piece, when the audio ends inside speech or a short gap."""
        if self.start is None:
            return []
        return self._close(min(total_samples, self.speech_end * self.frame + self.pad))

    def _close(self, audio_end: int) -> list[_Cut]:
        start, seam = self.start, self.seam
        if start is None:
            return []
        self.start, self.seam = None, None
        if seam is None and self.speech_end - start < self.min_speech:
            return []  # a click, not speech
        audio_start = seam[0] if seam else max(self.audio_floor, start * self.frame - self.pad)
        self.audio_floor = audio_end
        start_s = seam[1] if seam else self._seconds(start)
        return [_Cut(audio_start, audio_end, start_s, self._seconds(self.speech_end), seam is not None)]

    def _split(self, start: int, now: int) -> _Cut:
        """Cut the open piece (from frame ``start``), grown past ``max_frames``; the rest stays open."""
        gaps = list(self.gaps)
        if self.silence >= self.min_gap:
            gaps.append((self.speech_end, now))
        half, end = start + self.max_frames / 2, start + self.max_frames
        inside = [g for g in gaps if half <= (g[0] + g[1]) / 2 <= end]
        seam, self.seam = self.seam, None
        audio_start = seam[0] if seam else max(self.audio_floor, start * self.frame - self.pad)
        speech_start_s = seam[1] if seam else self._seconds(start)
        if inside:
            first, last = max(inside, key=lambda g: (g[1] - g[0], g[0]))
            middle = (first + last) * self.frame // 2
            audio_end = min(first * self.frame + self.pad, middle)
            self.audio_floor = audio_end
            self.start = last
            self.gaps = [g for g in self.gaps if g[0] >= last]
            if self.speech_end <= last:  # the cut fell in the current silence
                self.start, self.gaps = None, []
            return _Cut(audio_start, audio_end, speech_start_s, self._seconds(first), seam is not None)
        cut = start + self.max_frames
        boundary_s = self._seconds(cut - self.overlap / 2)
        self.audio_floor = cut * self.frame
        self.start = cut - self.overlap
        self.seam = ((cut - self.overlap) * self.frame, boundary_s)
        self.gaps = [g for g in self.gaps if g[0] >= self.start]
        return _Cut(audio_start, cut * self.frame, speech_start_s, boundary_s, seam is not None)

    def keep_from(self) -> int:
        """The first sample a piece still to come may need."""
        if self.seam is not None:
            return self.seam[0]
        if self.start is not None:
            return max(self.audio_floor, self.start * self.frame - self.pad)
        return max(self.audio_floor, self.frames_seen * self.frame - self.pad - self.frame)


class _Samples:
    """The 16 kHz mono samples a piece to come may still need, as a queue of blocks."""

    def __init__(self) -> None:
        self._blocks: deque[tuple[int, NDArray[np.float32]]] = deque()
        self.end = 0

    def append(self, block: NDArray[np.float32]) -> None:
        if block.shape[0]:
            self._blocks.append((self.end, block))
            self.end += block.shape[0]

    def drop_before(self, sample: int) -> None:
        while self._blocks and self._blocks[0][0] + self._blocks[0][1].shape[0] <= sample:
            self._blocks.popleft()

    def take(self, start: int, stop: int) -> NDArray[np.float32]:
        import numpy as np

        parts = [
            block[max(0, start - at) : max(0, stop - at)]
            for at, block in self._blocks
            if at < stop and at + block.shape[0] > start
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def encode_piece(samples: NDArray[np.float32], plan: PiecePlan, *, name: str) -> tuple[bytes, Encoding]:
    """Mono 16 kHz 16-bit WAV, or MP3 (the highest bitrate that fits) when the WAV would not fit."""
    wav = Encoding("wav", SPEECH_RATE_HZ, 1, "PCM_16")
    if _WAV_HEADER_BYTES + 2 * samples.shape[0] <= plan.max_wav_bytes:
        return encode_samples(samples, wav), wav
    duration_s = samples.shape[0] / SPEECH_RATE_HZ
    room_kbps = (plan.max_mp3_bytes - _MP3_SPARE_BYTES) * 8 / max(duration_s, 1e-3) / 1000
    fitting = [kbps for kbps in _MP3_KBPS if kbps <= room_kbps]
    if not fitting or fitting[-1] < 24:
        raise AudioTooLargeError(
            f"{name}: a piece of {duration_s:.0f} s does not fit the ASR limit even as MP3 at 24 kbps; "
            "use shorter pieces (max_segment_s)",
            source_name=name,
            size=_WAV_HEADER_BYTES + 2 * samples.shape[0],
            limit=plan.max_mp3_bytes,
        )
    mp3 = Encoding("mp3", SPEECH_RATE_HZ, 1, "MPEG_LAYER_III", fitting[-1])
    return encode_samples(samples, mp3), mp3


def speech_pieces(
    stream: AudioStream,
    detector: SpeechDetector,
    plan: PiecePlan,
    *,
    on_progress: ProgressCallback | None = None,
) -> Iterator[SpeechPiece]:
    """Yield the pieces of speech of ``stream`` in order (see the module docstring)."""
    rate = stream.sample_rate_hz
    total_s = stream.frames / rate
    resampler = (
        Resampler(in_rate_hz=rate, out_rate_hz=SPEECH_RATE_HZ, channels=1) if rate != SPEECH_RATE_HZ else None
    )
    cutter = _Cutter(plan, detector.frame_samples, detector.start_threshold, detector.end_threshold)
    samples = _Samples()
    index = 0

    def pieces(cuts: list[_Cut]) -> Iterator[SpeechPiece]:
        nonlocal index
        for cut in cuts:
            audio = samples.take(cut.audio_start, cut.audio_end)
            data, encoding = encode_piece(audio, plan, name=stream.name)
            start_s = cut.audio_start / SPEECH_RATE_HZ
            end_s = start_s + audio.shape[0] / SPEECH_RATE_HZ
            yield SpeechPiece(
                index,
                start_s,
                end_s,
                cut.speech_start_s,
                cut.speech_end_s,
                cut.overlaps_previous,
                data,
                encoding,
            )
            index += 1
        samples.drop_before(cutter.keep_from())

    done = 0
    for block in _blocks(stream):
        done += block.shape[0]
        mono = _mono_16k(block, resampler)
        samples.append(mono)
        yield from pieces(cutter.feed(detector.probabilities(mono)))
        if on_progress is not None:
            on_progress(min(done / rate, total_s), total_s)
    if resampler is not None:
        tail = _clip(resampler.flush()[:, 0])
        samples.append(tail)
        yield from pieces(cutter.feed(detector.probabilities(tail)))
    yield from pieces(cutter.finish(samples.end))


def _blocks(stream: AudioStream) -> Iterator[NDArray[np.float32]]:
    """The stream's blocks, with Ctrl-C raised between them (libsndfile reads through cffi)."""
    with deferred_interrupts() as check:
        for block in stream.blocks(size=BLOCK_FRAMES):
            check()
            yield block


def _mono_16k(block: NDArray[np.float32], resampler: Resampler | None) -> NDArray[np.float32]:
    mono = downmix(block)
    if resampler is None:
        return _clip(mono)
    return _clip(resampler.process(mono[:, None])[:, 0])


def _clip(samples: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    return np.clip(np.ascontiguousarray(samples, dtype=np.float32), -1.0, 1.0)
