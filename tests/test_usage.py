"""Usage reports (cost, cached tokens), request estimates and the audio-heard check."""

from __future__ import annotations

import base64
import json
import math

import pytest
from _audio import encode_tone
from _emulator_support import MIMO_EXAMPLE_USAGE, ask, audio_part

from mimo_openai_ext import MODELS, AudioNotHeardWarning, ContextOverflowError, ModelSpec, Price
from mimo_openai_ext._usage import RequestEstimate, UsageReport, check_audio_heard, estimate_request

PRICE = Price(
    input_usd_per_mtok=1.0, cache_hit_usd_per_mtok=0.1, output_usd_per_mtok=2.0, as_of="test", source="test"
)


def audio_message(*durations_s: float, question: str = "What is this?") -> dict[str, object]:
    return ask(*(audio_part(encode_tone(d, amplitude=0.1)) for d in durations_s), question)[0]


# -- UsageReport ------------------------------------------------------------------------


def test_mimo_example_cost_counts_cached_tokens_once() -> None:
    report = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.5", price=PRICE)
    assert (report.prompt_tokens, report.audio_tokens, report.cached_tokens) == (86, 25, 82)
    assert (report.text_tokens, report.reasoning_tokens, report.completion_tokens) == (61, 15, 17)
    expected = (4 * 1.0 + 82 * 0.1 + 17 * 2.0) / 1_000_000  # 4 uncached + 82 cached + 17 out
    assert report.cost_usd == pytest.approx(expected)


def test_default_price_comes_from_the_model_table() -> None:
    report = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.5")
    price = MODELS["mimo-v2.5"].price
    assert price is not None
    expected = (
        4 * price.input_usd_per_mtok + 82 * price.cache_hit_usd_per_mtok + 17 * price.output_usd_per_mtok
    ) / 1e6
    assert report.cost_usd == pytest.approx(expected)


def test_never_negative_nor_double_counted() -> None:
    odd = {
        "prompt_tokens": 10,
        "completion_tokens": 3,
        "total_tokens": 13,
        "prompt_tokens_details": {"audio_tokens": 50, "cached_tokens": 40},
        "completion_tokens_details": {"reasoning_tokens": 9},
    }
    report = UsageReport.from_usage(odd, model="mimo-v2.5", price=PRICE)
    assert report.cached_tokens == 10
    assert report.audio_tokens == 10
    assert report.text_tokens == 0
    assert report.reasoning_tokens == 3
    assert report.cost_usd == pytest.approx((10 * 0.1 + 3 * 2.0) / 1e6)
    assert all(v >= 0 for v in report.to_dict().values() if isinstance(v, (int, float)))


def test_missing_details_and_unpriced_models() -> None:
    report = UsageReport.from_usage(
        {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}, model="mimo-v2.6-pro"
    )
    assert report.audio_tokens == 0
    assert not report.audio_tokens_reported
    assert report.cost_usd is None
    assert UsageReport.from_usage(None, model="x-unknown", price=PRICE).cost_usd == 0.0


def test_reports_add_up() -> None:
    one = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.5", price=PRICE)
    total = one + one
    assert total.prompt_tokens == 172
    assert total.cached_tokens == 164
    assert total.cost_usd == pytest.approx(2 * (one.cost_usd or 0))
    unpriced = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.6-pro")
    assert (one + unpriced).cost_usd is None


# -- estimate_request -----------------------------------------------------------------


def test_estimate_counts_audio_from_duration_and_text_roughly() -> None:
    estimate = estimate_request([audio_message(4.0, 2.5)], model="mimo-v2.5", max_completion_tokens=100)
    assert [a.duration_s for a in estimate.audio] == pytest.approx([4.0, 2.5])
    assert estimate.audio_tokens == math.ceil(4.0 * 6.25) + math.ceil(2.5 * 6.25)
    assert 3 <= estimate.text_tokens <= 20
    assert estimate.input_tokens == estimate.audio_tokens + estimate.text_tokens
    assert estimate.total_tokens == estimate.input_tokens + 100
    assert estimate.fits
    price = MODELS["mimo-v2.5"].price
    assert price is not None
    assert estimate.worst_case_cost_usd == pytest.approx(
        (estimate.input_tokens * price.input_usd_per_mtok + 100 * price.output_usd_per_mtok) / 1e6
    )


def test_estimate_defaults_to_the_models_max_completion_tokens() -> None:
    estimate = estimate_request([{"role": "user", "content": "hi"}])
    assert estimate.max_completion_tokens == MODELS["mimo-v2.5"].default_max_completion_tokens


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


# -- audio heard ---------------------------------------------------------------------


def _estimate_of(seconds: float) -> RequestEstimate:
    return estimate_request([audio_message(seconds)])


def _report(audio_tokens: int) -> UsageReport:
    usage = {
        "prompt_tokens": audio_tokens + 20,
        "completion_tokens": 5,
        "total_tokens": audio_tokens + 25,
        "prompt_tokens_details": {"audio_tokens": audio_tokens},
    }
    return UsageReport.from_usage(usage, model="mimo-v2.5")


def test_zero_audio_tokens_warns_loudly() -> None:
    with pytest.warns(AudioNotHeardWarning, match="NOT heard"):
        check_audio_heard(_report(0), _estimate_of(4.0))


def test_far_from_the_estimate_warns() -> None:
    with pytest.warns(AudioNotHeardWarning, match="far from the estimated 375"):
        check_audio_heard(_report(60), _estimate_of(60.0))


def test_close_to_the_estimate_is_quiet() -> None:
    assert check_audio_heard(_report(24), _estimate_of(4.0)) is None
    no_audio = estimate_request([{"role": "user", "content": "hi"}])
    assert check_audio_heard(_report(0), no_audio) is None


def test_asr_is_billed_per_audio_hour() -> None:
    usage = {"prompt_tokens": 46, "completion_tokens": 10, "total_tokens": 56, "seconds": 1800}
    report = UsageReport.from_usage(usage, model="mimo-v2.5-asr")
    price = MODELS["mimo-v2.5-asr"].price
    assert price is not None
    assert report.audio_seconds == 1800
    assert report.cost_usd == pytest.approx(0.5 * price.audio_usd_per_hour)


@pytest.mark.parametrize(("prompt", "completion"), [(1, 17), (1, 78), (2, 5), (188, 78)])
def test_costs_carry_no_float_noise(prompt: int, completion: int) -> None:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    report = UsageReport.from_usage(usage, model="mimo-v2.5")
    assert report.cost_usd is not None
    # 1 prompt + 17 completion tokens: 0.14e-6 + 17 * 0.28e-6 = 4.9e-06, not 4.900000000000001e-06
    assert repr(report.cost_usd) == repr(float(f"{report.cost_usd:.12g}"))
    total = report + report + report
    assert total.cost_usd is not None
    assert repr(total.cost_usd) == repr(float(f"{total.cost_usd:.12g}"))
    assert "0000000000" not in json.dumps(total.to_dict())
