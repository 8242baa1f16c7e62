"""The streaming resampler (soxr): exact lengths, no delay, block-size independent, no aliasing."""

from __future__ import annotations

import numpy as np
import pytest

from mimo_openai_ext._audio.resample import Resampler, downmix


def _run(x: np.ndarray, in_rate: int, out_rate: int, block: int) -> np.ndarray:
    x2 = x[:, None] if x.ndim == 1 else x
    resampler = Resampler(in_rate_hz=in_rate, out_rate_hz=out_rate, channels=x2.shape[1])
    pieces = [resampler.process(x2[i : i + block]) for i in range(0, x2.shape[0], block)]
    pieces.append(resampler.flush())
    out = np.concatenate(pieces)
    assert resampler.total_out == out.shape[0]
    return out[:, 0] if x.ndim == 1 else out


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


@pytest.mark.parametrize("frames", [0, 1, 2, 100, 44101])
def test_every_length_comes_out_exact(frames: int) -> None:
    x = np.full(frames, 0.1, dtype=np.float32)
    assert _run(x, 44100, 16000, 333).size == (frames * 16000 + 22050) // 44100


def test_channels_stay_apart() -> None:
    stereo = np.stack([_sine(500, 44100, 44100), _sine(3000, 44100, 44100)], axis=1)
    y = _run(stereo, 44100, 16000, 10_000)
    assert y.shape == (16000, 2)
    for channel, freq in ((0, 500), (1, 3000)):
        expected = 0.5 * np.sin(2 * np.pi * freq * np.arange(16000) / 16000)
        assert np.abs(y[1600:-1600, channel] - expected[1600:-1600]).max() < 1e-3


def test_block_size_does_not_change_the_output() -> None:
    x = np.random.default_rng(0).standard_normal(44100 * 3).astype(np.float32) * 0.1
    reference = _run(x, 44100, 16000, x.size)
    for block in (1, 333, 44100, 100_000):
        assert np.allclose(_run(x, 44100, 16000, block), reference, atol=1e-6)


def test_frequencies_above_the_new_nyquist_are_removed() -> None:
    # 9 kHz is over 16 kHz's Nyquist (8 kHz); it would alias to 7 kHz. The hand-written
    # filter this replaced let it through at -30.6 dB; libsoxr's HQ filter removes it.
    y = _run(_sine(9_000, 44100, 44100 * 2), 44100, 16000, 8192)
    rms = np.sqrt(np.mean(y[1000:-1000].astype(np.float64) ** 2))
    assert 20 * np.log10(rms / (0.5 / np.sqrt(2)) + 1e-20) < -100
    kept = _run(_sine(6_000, 44100, 44100 * 2), 44100, 16000, 8192)
    assert np.sqrt(np.mean(kept[1000:-1000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_downmix_averages_channels() -> None:
    block = np.array([[1.0, 0.0, 0.5], [0.2, 0.4, 0.0]], dtype=np.float32)
    assert np.allclose(downmix(block), [0.5, 0.2])
    assert np.allclose(downmix(block[:, :2]), [0.5, 0.3])
    assert downmix(block[:, :1]).tolist() == pytest.approx([1.0, 0.2])


def test_bad_rates() -> None:
    with pytest.raises(ValueError, match="positive"):
        Resampler(in_rate_hz=0, out_rate_hz=16000, channels=1)
