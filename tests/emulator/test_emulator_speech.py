"""The emulator's ASR model answers each piece deterministically: registered speech, or a description."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import openai
import pytest
import soxr
from _audio import encode, sentences, with_noise

from mimo_openai_ext import InvalidOptionError, InvalidTypeError
from mimo_openai_ext.emulator import EmulatorOptions, ScriptedSpeech
from mimo_openai_ext.emulator._speech import recognise

pytestmark = pytest.mark.sdk_retries(0)


@pytest.fixture(scope="module")
def recording() -> tuple[np.ndarray, ScriptedSpeech]:
    clean, spans = sentences()
    noisy = with_noise(clean, 20.0, spans=spans, seed=4)
    return noisy, ScriptedSpeech.from_array(noisy, 16000, spans)


def _asr(client: openai.OpenAI, data: bytes, mime: str) -> str:
    import base64

    part = {
        "type": "input_audio",
        "input_audio": {"data": f"data:{mime};base64,{base64.b64encode(data).decode()}"},
    }
    completion = client.chat.completions.create(
        model="mimo-v2.5-asr",
        messages=[{"role": "user", "content": [part]}],  # type: ignore[list-item]
    )
    return completion.choices[0].message.content or ""


def test_a_piece_of_registered_speech_is_answered_with_its_words(
    client: openai.OpenAI, mimo_emulator: Any, recording: Any
) -> None:
    samples, speech = recording
    mimo_emulator.configure(speech=(speech,))
    piece = samples[int(5.4 * 16000) : int(14.3 * 16000)]  # sentences 2 and 3, whole
    assert _asr(client, encode(piece, 16000, format="WAV"), "audio/wav") == (
        "Revenue grew by twelve percent, mostly from the new subscription plan. "
        "Could you tell me what the weather will be like today?"
    )


def test_a_word_is_heard_when_its_middle_is_in_the_piece(recording: Any) -> None:
    samples, speech = recording
    start, end, text = sentences()[1][0]  # sentence 1: nine words, 0.42 s each
    cut = start + 3.5 * (end - start) / len(text.split())  # the middle of the fourth word
    before = recognise(encode(samples[: int((cut + 0.01) * 16000)], 16000, format="WAV"), [speech])
    after = recognise(encode(samples[int((cut - 0.01) * 16000) : 5 * 16000], 16000, format="WAV"), [speech])
    assert before == "Good morning everyone, let's"
    assert after == "let's start with the quarterly numbers."  # the word on the seam: in both


def test_mp3_and_other_rates_are_found_too(recording: Any) -> None:
    samples, speech = recording
    piece = samples[int(29.2 * 16000) : int(33.5 * 16000)]
    expected = "We received three complaints about the delivery times last week."
    assert recognise(encode(piece, 16000, format="MP3"), [speech]) == expected
    resampled = soxr.resample(piece, 16000, 44100).astype(np.float32)
    assert recognise(encode(resampled, 44100, format="WAV"), [speech]) == expected


def test_audio_found_nowhere_is_described_with_its_checksum(
    client: openai.OpenAI, mimo_emulator: Any, recording: Any
) -> None:
    _, speech = recording
    mimo_emulator.configure(speech=(speech,))
    other = encode(
        np.random.default_rng(9).standard_normal(16000).astype(np.float32) * 0.1, 16000, format="WAV"
    )
    assert recognise(other, [speech]) is None
    digest = hashlib.sha256(other).hexdigest()[:12]
    assert _asr(client, other, "audio/wav") == (
        f"[emulated transcript: 1.00 s of wav audio, 1 ch, 16000 Hz, language auto, sha256 {digest}]"
    )


def test_scripted_speech_is_checked() -> None:
    with pytest.raises(InvalidTypeError, match="samples"):
        ScriptedSpeech("not bytes", 16000, ())  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="lines"):
        ScriptedSpeech(b"\x00\x00", 16000, ((2.0, 1.0, "backwards"),))
    with pytest.raises(InvalidTypeError, match="speech"):
        EmulatorOptions(speech=("x",))  # type: ignore[arg-type]
