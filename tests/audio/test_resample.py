"""The streaming polyphase resampler: exact lengths, accurate, block-size independent, no aliasing."""

from __future__ import annotations

import numpy as np
import pytest

from mimo_openai_ext._audio.resample import StreamingResampler, downmix


def _run(x: np.ndarray, in_rate: int, out_rate: int, block: int) -> np.ndarray:
    resampler = StreamingResampler(in_rate_hz=in_rate, out_rate_hz=out_rate)
    pieces = [resampler.process(x[i : i + block]) for i in range(0, x.size, block)]
    pieces.append(resampler.flush())
    out = np.concatenate(pieces)
    assert resampler.total_out == out.size
    return out


def _sine(freq_hz: float, rate: int, frames: int) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq_hz * np.arange(frames) / rate)).astype(np.float32)


@pytest.mark.parametrize(
    ("in_rate", "out_rate"), [(44100, 16000), (48000, 16000), (22050, 16000), (32000, 16000), (8000, 16000)]
)
def test_length_and_accuracy(in_rate: int, out_rate: int) -> None:
    frames = in_rate * 2 + 17
    y = _run(_sine(1000, in_rate, frames), in_rate, out_rate, 4099)
    assert y.size == (frames * out_rate + in_rate // 2) // in_rate  # round(frames * out / in)
    expected = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(y.size) / out_rate)
    middle = slice(y.size // 10, -y.size // 10)
    assert np.abs(y[middle] - expected[middle]).max() < 1e-3  # about -66 dB: no delay, no gain error


def test_block_size_does_not_change_the_output() -> None:
    x = np.random.default_rng(0).standard_normal(44100 * 3).astype(np.float32) * 0.1
    reference = _run(x, 44100, 16000, x.size)
    for block in (1, 333, 44100, 100_000):
        assert np.allclose(_run(x, 44100, 16000, block), reference, atol=1e-6)


def test_frequencies_above_the_new_nyquist_are_removed() -> None:
    y = _run(_sine(12_000, 44100, 44100 * 2), 44100, 16000, 8192)
    assert np.sqrt(np.mean(y[1000:-1000] ** 2)) < 1e-3  # was 0.35 rms; it would alias to 4 kHz
    kept = _run(_sine(6_000, 44100, 44100 * 2), 44100, 16000, 8192)
    assert np.sqrt(np.mean(kept[1000:-1000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_downmix_averages_channels() -> None:
    block = np.array([[1.0, 0.0, 0.5], [0.2, 0.4, 0.0]], dtype=np.float32)
    assert np.allclose(downmix(block), [0.5, 0.2])
    assert np.allclose(downmix(block[:, :2]), [0.5, 0.3])
    assert downmix(block[:, :1]).tolist() == pytest.approx([1.0, 0.2])


def test_bad_rates() -> None:
    with pytest.raises(ValueError, match="positive"):
        StreamingResampler(in_rate_hz=0, out_rate_hz=16000)
