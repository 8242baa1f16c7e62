"""Token and size arithmetic."""

from __future__ import annotations

import base64
import dataclasses
import math

import pytest

from mimo_openai_ext import DEFAULT_LIMITS, estimate_audio_tokens
from mimo_openai_ext._audio.datauri import data_uri_chars, max_bytes_for_data_uri


@pytest.mark.parametrize(
    ("seconds", "tokens"),
    [(0, 0), (4.0, 25), (10.6, 67), (0.16, 1), (0.17, 2), (1.0, 7), (3600, 22500), (0.001, 1)],
)
def test_tokens_are_ceil_of_duration_times_6_25(seconds: float, tokens: int) -> None:
    assert estimate_audio_tokens(seconds) == tokens


def test_rate_comes_from_limits() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, audio_tokens_per_second=10.0)
    assert estimate_audio_tokens(2.05, limits=limits) == 21


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_bad_durations(bad: float) -> None:
    with pytest.raises(ValueError, match="duration_s"):
        estimate_audio_tokens(bad)


def test_non_numbers() -> None:
    with pytest.raises(TypeError):
        estimate_audio_tokens("4")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        estimate_audio_tokens(True)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 1000, 37_499_968])
def test_data_uri_chars_is_the_real_length(size: int) -> None:
    real = len("data:audio/flac;base64," + base64.b64encode(bytes(size)).decode())
    assert data_uri_chars(size, "audio/flac") == real


def test_max_bytes_for_data_uri_is_the_largest_that_fits() -> None:
    most = max_bytes_for_data_uri("audio/wav")
    assert data_uri_chars(most, "audio/wav") <= DEFAULT_LIMITS.max_data_uri_chars
    assert data_uri_chars(most + 1, "audio/wav") > DEFAULT_LIMITS.max_data_uri_chars
    assert 37_400_000 < most < 37_500_000  # "about 37.5 MB of raw audio"
