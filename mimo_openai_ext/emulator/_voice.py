"""The emulator's "speech": real, playable audio as long as the text would take to say.

It does not talk, but it sounds enough like talking for a voice-activity detector (Silero
VAD finds speech in about 75% of it, as in a recording of a reader; the harmonic buzz it
replaced was found in under 1% at most pitches). A tiny formant synthesizer: each syllable
is a glottal-like sawtooth at the voice's pitch, shaped in the frequency domain by the three
formants of a vowel (seven vowels in turn) under a rise-and-fall envelope, its pitch drifting
down over a sentence, with a short noise burst for the consonant before it. Words are parted
by short gaps, clauses and sentences by longer pauses. Syllables are counted the way a
reader says them: vowel groups in Latin words, one per CJK character, one per digit. So the
duration follows the text (about five syllables a second, as people speak), and a longer
text is a longer recording.

The pitch is the voice's: a preset's own, a designed voice's by its description ("male",
"woman"...), a cloned voice's estimated from the reference clip (autocorrelation).
:func:`synthesize` also says when each word is spoken, so the emulator's ASR model can
"hear" its own speech back (``_tts``). Everything is deterministic: the same text and voice
give the same samples.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "SYLLABLE_S",
    "Utterance",
    "count_syllables",
    "estimate_pitch_hz",
    "pitch_of_description",
    "pitch_of_voice",
    "synthesize",
]

SYLLABLE_S = 0.19
WORD_GAP_S = 0.05
CLAUSE_PAUSE_S = 0.2
SENTENCE_PAUSE_S = 0.4
EDGE_S = (0.08, 0.2)
"""Silence before the first syllable and after the last."""
_VOICE_PITCH_HZ = {
    "mimo_default": 185.0, "\u51b0\u7cd6": 245.0, "\u8309\u8389": 205.0, "\u82cf\u6253": 150.0,
    "\u767d\u6866": 112.0, "mia": 235.0, "chloe": 215.0, "milo": 140.0, "dean": 105.0,
}  # fmt: skip
"""Preset pitches (MiMo's Chinese presets, spelled as escapes: Bingtang, Moli, Suda, Baihua)."""
# Full-width forms as escapes: \uff08 \uff09 \u3010 \u3011 (brackets), \u3002 \uff01 \uff1f (sentence
# ends), \uff0c \uff1b \uff1a \u3001 (clause marks); \u2014 is the em dash.
_TAG = re.compile(
    "[(\uff08\\[\u3010][^()\uff08\uff09\\[\\]\u3010\u3011]{0,60}[)\uff09\\]\u3011]|<style>.*?</style>"
)
"""MiMo's audio tags (``(sighs)``, ``[pause]``, in ASCII or full-width brackets): instructions, not words."""
_TOKEN = re.compile(
    "(?P<cjk>[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff])"
    "|(?P<digits>\\d+)"
    "|(?P<word>[^\\W\\d_]+(?:'[^\\W\\d_]+)*)"
    "|(?P<sentence>[.!?\u3002\uff01\uff1f\u2026]+)"
    "|(?P<clause>[,;:\uff0c\uff1b\uff1a\u3001\u2014]+|\n)"
)
_VOWELS = re.compile(r"[aeiouyàâäéèêëîïôöùûüáíóúœæ]+", re.I)


def _word_syllables(word: str) -> int:
    groups = len(_VOWELS.findall(word))
    if word.lower().endswith("e") and groups > 1 and not word.lower().endswith(("le", "ee")):
        groups -= 1  # a silent final e: "make", "voice"
    return max(groups, 1)


def _events(text: str) -> list[tuple[str, int, str]]:
    """``("say", syllables, word)`` for each word, ``("gap" | "clause" | "sentence", 0, "")`` between."""
    events: list[tuple[str, int, str]] = []
    for match in _TOKEN.finditer(_TAG.sub(" ", text)):
        kind, said = match.lastgroup or "", match.group()
        if kind == "cjk":
            events.append(("say", 1, said))
        elif kind == "digits":
            events.append(("say", len(said), said))
        elif kind == "word":
            events.append(("say", _word_syllables(said), said))
        else:
            events.append((kind, 0, ""))
    return events


def count_syllables(text: str) -> int:
    """How many syllables the emulator will say for ``text`` (tags are not said)."""
    return sum(n for kind, n, _ in _events(text) if kind == "say")


def pitch_of_voice(voice: str) -> float:
    """A preset's pitch; any other name gets a stable pitch from its hash (100-260 Hz)."""
    known = _VOICE_PITCH_HZ.get(voice) or _VOICE_PITCH_HZ.get(voice.lower())
    if known is not None:
        return known
    return 100.0 + int.from_bytes(hashlib.sha256(voice.encode()).digest()[:2], "big") % 160


def pitch_of_description(description: str) -> float:
    """A designed voice's pitch, from words in its description (else from its hash)."""
    text = description.lower()
    if re.search("\\b(female|woman|girl|lady)\\b|\u5973", text):  # \u5973: woman
        return 220.0
    if re.search("\\b(male|man|boy|gentleman)\\b|\u7537", text):  # \u7537: man
        return 120.0
    return pitch_of_voice(description)


def estimate_pitch_hz(samples: NDArray[np.float32], sample_rate_hz: int) -> float:
    """The fundamental of a reference clip (autocorrelation over its loudest second), 70-400 Hz."""
    import numpy as np

    if samples.size < sample_rate_hz // 20:
        return pitch_of_voice("clone")
    window = sample_rate_hz
    if samples.size > window:
        energy = np.convolve(samples.astype(np.float64) ** 2, np.ones(window // 10), mode="valid")
        start = int(np.argmax(energy[: samples.size - window + 1]))
        samples = samples[start : start + window]
    x = samples.astype(np.float64) - float(samples.mean())
    spectrum = np.fft.rfft(x, 2 * x.size)
    corr = np.fft.irfft(spectrum * np.conj(spectrum))[: x.size]
    low, high = int(sample_rate_hz / 400), int(sample_rate_hz / 70)
    if corr[0] <= 0 or high >= corr.size:
        return pitch_of_voice("clone")
    lag = low + int(np.argmax(corr[low:high]))
    return float(sample_rate_hz / lag)


_FORMANTS_HZ = (
    (730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410),
    (300, 870, 2240), (660, 1720, 2410), (490, 1350, 1690),
)  # fmt: skip
"""F1-F3 of seven vowels (a, e, i, o, u, ae, er: Peterson and Barney's averages)."""
_BANDWIDTHS_HZ = (80.0, 100.0, 120.0)
_CONSONANT_S = 0.05


@dataclass(frozen=True)
class Utterance:
    """Samples "saying" a text, and when each word is said in them."""

    samples: NDArray[np.int16] = field(repr=False)
    sample_rate_hz: int
    words: tuple[tuple[float, float, str], ...]
    """``(start_s, end_s, word)`` in order."""

    @property
    def duration_s(self) -> float:
        return int(self.samples.shape[0]) / self.sample_rate_hz


def _syllable(
    n: int, f0: float, vowel: tuple[int, int, int], rate: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """One syllable: a consonant's noise burst, then a vowel's formants over a glottal-like source."""
    import numpy as np

    t = np.arange(n) / rate
    pitch = f0 * (1.0 + 0.04 * np.sin(2 * np.pi * 2.5 * t)) * np.linspace(1.04, 0.96, n)
    source = 2.0 * (np.cumsum(pitch) / rate % 1.0) - 1.0 + 0.02 * rng.standard_normal(n)
    freqs = np.fft.rfftfreq(n, 1 / rate)
    shape = sum(1.0 / (1.0 + ((freqs - f) / b) ** 2) for f, b in zip(vowel, _BANDWIDTHS_HZ, strict=True))
    voiced = np.fft.irfft(np.fft.rfft(source) * shape / (1.0 + (freqs / 4000.0) ** 2), n)
    voiced /= np.abs(voiced).max() + 1e-9
    out: NDArray[np.float64] = voiced * np.clip(np.sin(np.pi * np.arange(n) / max(n - 1, 1)), 0.0, 1.0) ** 0.7
    burst = min(n, int(_CONSONANT_S * rate))
    noise = rng.standard_normal(burst)
    hiss = np.fft.irfft(np.fft.rfft(noise) * (np.fft.rfftfreq(burst, 1 / rate) > 2500.0), burst)
    out[:burst] += 0.3 * hiss / (np.abs(hiss).max() + 1e-9) * np.linspace(1.0, 0.0, burst)
    return out


def synthesize(text: str, *, pitch_hz: float, sample_rate_hz: int = 24_000) -> Utterance:
    """16-bit mono samples "saying" ``text`` at ``pitch_hz``, as long as the text takes to say."""
    import numpy as np

    rate = sample_rate_hz
    seed = int.from_bytes(hashlib.sha256(f"{pitch_hz:.3f}\0{text}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    pieces: list[NDArray[np.float64]] = [np.zeros(int(EDGE_S[0] * rate))]
    at = pieces[0].shape[0]
    pauses = {"gap": WORD_GAP_S, "clause": CLAUSE_PAUSE_S, "sentence": SENTENCE_PAUSE_S}
    events = _events(text)
    total = max(sum(n for kind, n, _ in events if kind == "say"), 1)
    said = 0
    words: list[tuple[float, float, str]] = []
    previous = "sentence"
    for kind, syllables, word in events:
        if kind != "say":
            pieces.append(np.zeros(int(pauses[kind] * rate)))
            at += pieces[-1].shape[0]
            previous = kind
            continue
        if previous == "say":
            pieces.append(np.zeros(int(WORD_GAP_S * rate)))
            at += pieces[-1].shape[0]
        start = at
        for _ in range(syllables):
            length = int(SYLLABLE_S * rate * (0.85 + 0.3 * rng.random()))
            vowel = _FORMANTS_HZ[said % len(_FORMANTS_HZ)]
            pieces.append(_syllable(length, pitch_hz * (1.0 - 0.12 * said / total), vowel, rate, rng))
            at += length
            said += 1
        words.append((start / rate, at / rate, word))
        previous = "say"
    pieces.append(np.zeros(int(EDGE_S[1] * rate)))
    audio = np.concatenate(pieces)
    samples = np.rint(np.clip(audio * 0.4, -1.0, 1.0) * 32767).astype(np.int16)
    return Utterance(samples, rate, tuple(words))
