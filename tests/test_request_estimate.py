"""Request estimates before the call: audio and text tokens, worst-case cost, overflow."""

from __future__ import annotations

import base64
import math
from dataclasses import replace
from pathlib import Path

import pytest
from _audio import encode_tone, write_silence
from _emulator_support import ask, audio_part

from mimo_openai_ext import MODELS, AudioNotHeardWarning, ContextOverflowError, ModelSpec
from mimo_openai_ext._request_estimate import estimate_request


def audio_message(*durations_s: float, question: str = "What is this?") -> dict[str, object]:
    return ask(*(audio_part(encode_tone(d, amplitude=0.1)) for d in durations_s), question)[0]


def test_estimate_counts_audio_from_duration_and_text_roughly() -> None:
    estimate = estimate_request([audio_message(4.0, 2.5)], model="mimo-v2.6-flash", max_completion_tokens=100)
    assert [a.duration_s for a in estimate.audio] == pytest.approx([4.0, 2.5])
    assert estimate.audio_tokens == math.ceil(4.0 * 6.25) + math.ceil(2.5 * 6.25)
    assert 3 <= estimate.text_tokens <= 20
    assert estimate.input_tokens == estimate.audio_tokens + estimate.text_tokens
    assert estimate.total_tokens == estimate.input_tokens + 100
    assert estimate.fits
    price = MODELS["mimo-v2.6-flash"].price
    assert price is not None
    assert estimate.worst_case_cost_usd == pytest.approx(
        (estimate.input_tokens * price.input_usd_per_mtok + 100 * price.output_usd_per_mtok) / 1e6
    )


def test_estimate_defaults_to_the_models_max_completion_tokens() -> None:
    estimate = estimate_request([{"role": "user", "content": "hi"}])
    assert estimate.max_completion_tokens == MODELS["mimo-v2.6-flash"].default_max_completion_tokens


def test_url_audio_has_unknown_duration_and_says_so() -> None:
    message = {
        "role": "user",
        "content": [
            {"type": "input_audio", "input_audio": {"data": "https://example.com/a.wav"}},
            {"type": "text", "text": "hi"},
        ],
    }
    estimate = estimate_request([message])
    assert estimate.unknown_audio == 1
    assert estimate.audio_tokens == 0
    assert any("URL" in note and "unknown" in note for note in estimate.notes)


def test_raw_base64_is_flagged() -> None:
    raw = base64.b64encode(encode_tone(1.0, amplitude=0.1)).decode()
    message = {
        "role": "user",
        "content": [{"type": "input_audio", "input_audio": {"data": raw, "format": "wav"}}],
    }
    with pytest.warns(AudioNotHeardWarning, match="to_mimo_messages") as caught:
        estimate = estimate_request([message])
    assert caught[0].filename == __file__
    assert any("raw base64" in note for note in estimate.notes)


def test_overflow_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "tiny", ModelSpec("tiny", True, 40))
    with pytest.raises(ContextOverflowError) as caught:
        estimate_request([audio_message(10.0)], model="tiny")
    assert caught.value.context_tokens == 40
    assert caught.value.estimated_tokens > 40
    assert "split" in str(caught.value)


def test_explicit_max_completion_tokens_that_cannot_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "tiny", ModelSpec("tiny", True, 100))
    with pytest.raises(ContextOverflowError, match="lower max_completion_tokens to at most"):
        estimate_request([audio_message(4.0)], model="tiny", max_completion_tokens=90)
    unchecked = estimate_request([audio_message(4.0)], model="tiny", max_completion_tokens=90, check=False)
    assert not unchecked.fits


def test_estimate_to_dict_is_plain_data() -> None:
    import json

    data = estimate_request([audio_message(1.0)]).to_dict()
    assert json.loads(json.dumps(data))["audio"][0]["format"] == "wav"


def test_check_audio_limits_says_what_fits_and_what_to_do(tmp_path: Path, text_model: str) -> None:
    from mimo_openai_ext import DEFAULT_LIMITS, probe_audio
    from mimo_openai_ext._request_estimate import check_audio_limits

    info = probe_audio(write_silence(tmp_path / "a.flac", 2.0, format="FLAC"))
    ok = check_audio_limits(info)
    assert (ok.fits, ok.remedy, ok.format_accepted) == (True, None, None)
    assert ok.data_uri_limit == DEFAULT_LIMITS.max_data_uri_chars
    asr = check_audio_limits(info, model="mimo-v2.5-asr")
    assert (asr.format_accepted, asr.fits, asr.remedy) == (False, False, "transcribe")
    assert asr.data_uri_limit == DEFAULT_LIMITS.asr_max_data_uri_chars
    long = replace(info, format="wav", duration_s=45 * 60.0)  # fits 10 MB, not the ASR context
    assert check_audio_limits(long, model="mimo-v2.5-asr").remedy == "transcribe"
    assert check_audio_limits(info, model=text_model).remedy == "audio_model"
    small = replace(DEFAULT_LIMITS, max_data_uri_chars=100)
    assert check_audio_limits(info, limits=small).remedy == "fit_split_or_url"


def test_check_audio_set_sums_the_files_against_the_context(tmp_path: Path) -> None:
    from mimo_openai_ext import DEFAULT_MODEL, estimate_audio_tokens, get_model, probe_audio
    from mimo_openai_ext._request_estimate import check_audio_set

    info = probe_audio(write_silence(tmp_path / "a.flac", 1.0, format="FLAC"))
    context = get_model(DEFAULT_MODEL).context_tokens
    seconds = 1.0
    while estimate_audio_tokens(seconds) <= context * 0.6:  # one fits alone, two do not
        seconds *= 1.5
    long = replace(info, duration_s=seconds)
    one = check_audio_set([long])
    assert (one.fits, one.fits_context, one.context_tokens) == (True, True, context)
    two = check_audio_set([long, long])
    assert two.total_audio_tokens == 2 * one.total_audio_tokens > context
    assert (two.fits, two.fits_context) == (False, False)
    assert all(check.fits for check in two.files)  # each alone still fits
    assert check_audio_set([]).fits
