"""Usage reports after the call (cost, cached tokens) and the audio-heard check."""

from __future__ import annotations

import json

import pytest
from _audio import encode_tone
from _emulator_support import MIMO_EXAMPLE_USAGE, ask, audio_part

from mimo_openai_ext import MODELS, AudioNotHeardWarning, Price
from mimo_openai_ext._heard import check_audio_heard
from mimo_openai_ext._request_estimate import RequestEstimate, estimate_request
from mimo_openai_ext._usage import UsageReport

PRICE = Price(
    input_usd_per_mtok=1.0, cache_hit_usd_per_mtok=0.1, output_usd_per_mtok=2.0, as_of="test", source="test"
)


def audio_message(*durations_s: float, question: str = "What is this?") -> dict[str, object]:
    return ask(*(audio_part(encode_tone(d, amplitude=0.1)) for d in durations_s), question)[0]


# -- UsageReport ------------------------------------------------------------------------


def test_mimo_example_cost_counts_cached_tokens_once() -> None:
    report = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.6-flash", price=PRICE)
    assert (report.prompt_tokens, report.audio_tokens, report.cached_tokens) == (86, 25, 82)
    assert (report.text_tokens, report.reasoning_tokens, report.completion_tokens) == (61, 15, 17)
    expected = (4 * 1.0 + 82 * 0.1 + 17 * 2.0) / 1_000_000  # 4 uncached + 82 cached + 17 out
    assert report.cost_usd == pytest.approx(expected)


def test_default_price_comes_from_the_model_table() -> None:
    report = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.6-flash")
    price = MODELS["mimo-v2.6-flash"].price
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
    report = UsageReport.from_usage(odd, model="mimo-v2.6-flash", price=PRICE)
    assert report.cached_tokens == 10
    assert report.audio_tokens == 10
    assert report.text_tokens == 0
    assert report.reasoning_tokens == 3
    assert report.cost_usd == pytest.approx((10 * 0.1 + 3 * 2.0) / 1e6)
    assert all(v >= 0 for v in report.to_dict().values() if isinstance(v, (int, float)))


def test_missing_details_and_unpriced_models() -> None:
    report = UsageReport.from_usage(
        {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}, model="mimo-v2.6-pro-ultraspeed"
    )
    assert report.audio_tokens == 0
    assert not report.audio_tokens_reported
    assert report.cost_usd is None
    assert UsageReport.from_usage(None, model="x-unknown", price=PRICE).cost_usd is None  # unknown, not $0


def test_reports_add_up() -> None:
    one = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.6-flash", price=PRICE)
    total = one + one
    assert total.prompt_tokens == 172
    assert total.cached_tokens == 164
    assert total.cost_usd == pytest.approx(2 * (one.cost_usd or 0))
    unpriced = UsageReport.from_usage(MIMO_EXAMPLE_USAGE, model="mimo-v2.6-pro-ultraspeed")
    assert (one + unpriced).cost_usd is None


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
    return UsageReport.from_usage(usage, model="mimo-v2.6-flash")


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
    report = UsageReport.from_usage(usage, model="mimo-v2.6-flash")
    assert report.cost_usd is not None
    # 1 prompt + 17 completion tokens: 0.14e-6 + 17 * 0.28e-6 = 4.9e-06, not 4.900000000000001e-06
    assert repr(report.cost_usd) == repr(float(f"{report.cost_usd:.12g}"))
    total = report + report + report
    assert total.cost_usd is not None
    assert repr(total.cost_usd) == repr(float(f"{total.cost_usd:.12g}"))
    assert "0000000000" not in json.dumps(total.to_dict())
