"""Speech as samples: decode, join without a seam, tempo, encode every format, fit a WAV reference."""

from __future__ import annotations

import numpy as np
import pytest
from _audio import encode_m4a, encode_tone

from mimo_openai_ext import AudioTooLargeError, InvalidOptionError, UnsupportedAudioFormatError
from mimo_openai_ext._audio.encode import (
    SEAM_PAUSE_S,
    PcmAudio,
    change_tempo,
    decode_pcm,
    encode_pcm,
    encoded_rate,
    fit_wav,
    join_pcm,
    resample_pcm,
)
from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext._audio.sniff import sniff_audio

RATE = 24_000


def _voiced(seconds: float, *, lead_s: float = 0.0, tail_s: float = 0.0, freq: float = 200.0) -> PcmAudio:
    """A tone of ``seconds`` between ``lead_s`` and ``tail_s`` of digital silence."""
    n = round(seconds * RATE)
    tone = (0.3 * np.sin(2 * np.pi * freq * np.arange(n) / RATE)).astype(np.float32)
    lead = np.zeros(round(lead_s * RATE), np.float32)
    tail = np.zeros(round(tail_s * RATE), np.float32)
    return PcmAudio(np.concatenate((lead, tone, tail)), RATE)


def _silences(samples: np.ndarray, *, threshold: float = 1e-3, min_s: float = 0.05) -> list[float]:
    """Lengths (s) of the quiet runs inside ``samples`` (not at its ends)."""
    quiet = np.abs(samples) < threshold
    runs, length = [], 0
    for q in quiet:
        if q:
            length += 1
        else:
            if length:
                runs.append(length)
            length = 0
    inner = runs[1:] if quiet[0] else runs  # a run at the very start is not a seam
    return [r / RATE for r in inner if r / RATE >= min_s]


def test_a_long_seam_is_cut_to_one_pause_and_a_short_one_is_kept() -> None:
    long_gap = [_voiced(1.0, tail_s=0.8), _voiced(1.0, lead_s=0.7)]
    joined = join_pcm(long_gap)
    assert joined.duration_s == pytest.approx(2.0 + SEAM_PAUSE_S, abs=0.01)
    assert max(_silences(joined.samples)) == pytest.approx(SEAM_PAUSE_S, abs=0.02)

    short_gap = [_voiced(1.0, tail_s=0.1), _voiced(1.0, lead_s=0.05)]
    assert join_pcm(short_gap).duration_s == pytest.approx(2.15, abs=0.002)  # nothing added, nothing cut


def test_the_join_is_faded_so_a_cut_makes_no_click() -> None:
    loud_end = PcmAudio(np.full(RATE, 0.5, np.float32), RATE)  # ends on a full-scale sample
    joined = join_pcm([loud_end, _voiced(0.5, lead_s=0.5)])
    step = np.abs(np.diff(joined.samples)).max()
    assert step < 0.05  # a hard cut from 0.5 to silence would jump by 0.5


def test_pieces_at_another_rate_are_resampled_to_the_first() -> None:
    first = _voiced(1.0)
    second = resample_pcm(_voiced(1.0), 16_000)
    assert second.sample_rate_hz == 16_000
    joined = join_pcm([first, second])
    assert joined.sample_rate_hz == RATE
    assert joined.duration_s == pytest.approx(2.0, abs=0.01)


def test_join_needs_a_piece() -> None:
    with pytest.raises(InvalidOptionError):
        join_pcm([])


@pytest.mark.parametrize(
    ("fmt", "container", "codec"),
    [("wav", "wav", "pcm_s16le"), ("flac", "flac", "flac"), ("mp3", "mp3", "mp3"), ("opus", "ogg", "opus")],
)
def test_each_format_probes_as_itself_with_the_duration(fmt: str, container: str, codec: str) -> None:
    pcm = _voiced(2.0, lead_s=0.2, tail_s=0.2)
    data = encode_pcm(pcm, fmt)  # type: ignore[arg-type]
    info = probe_bytes(data, source_name=f"speech.{fmt}")
    assert (info.format, info.codec, info.channels) == (container, codec, 1)
    assert info.duration_s == pytest.approx(pcm.duration_s, abs=0.1)
    assert decode_pcm(data, source_name="x").duration_s == pytest.approx(pcm.duration_s, abs=0.1)


def test_aac_is_adts_and_pcm_is_raw_little_endian_samples() -> None:
    pcm = _voiced(1.5)
    aac = encode_pcm(pcm, "aac")
    with pytest.raises(UnsupportedAudioFormatError) as refused:  # what MiMo itself would not take
        sniff_audio(aac, source_name="x.aac")
    assert refused.value.found.startswith("AAC in ADTS")
    assert decode_pcm(aac, source_name="x.aac").duration_s == pytest.approx(1.5, abs=0.1)
    raw = encode_pcm(pcm, "pcm")
    assert len(raw) == 2 * pcm.frames
    back = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32767
    assert np.abs(back - pcm.samples).max() < 1e-4


def test_encoded_rates_follow_each_codec() -> None:
    assert encoded_rate("mp3", 24_000) == 24_000
    assert encoded_rate("mp3", 23_000) == 22_050  # the highest MP3 rate not above it
    assert encoded_rate("opus", 44_100) == 48_000  # Opus takes 8, 12, 16, 24 or 48 kHz
    assert encoded_rate("opus", 24_000) == 24_000
    assert probe_bytes(encode_pcm(_voiced(1.0), "mp3"), source_name="x").sample_rate_hz == 24_000


@pytest.mark.parametrize("frames", [20_880, 5_431, 31_337, 47_999])
def test_opus_of_any_length_reads_back(frames: int) -> None:
    """libsndfile refused some Ogg Opus files whose last frame was partial (0.87 s did)."""
    pcm = PcmAudio((0.3 * np.sin(np.arange(frames) / 5)).astype(np.float32), RATE)
    assert probe_bytes(encode_pcm(pcm, "opus"), source_name="x").duration_s == pytest.approx(
        frames / RATE, abs=0.03
    )


def test_unknown_format_is_refused() -> None:
    with pytest.raises(InvalidOptionError, match="format='ogg'"):
        encode_pcm(_voiced(0.1), "ogg")  # type: ignore[arg-type]


@pytest.mark.parametrize("factor", [0.5, 1.5, 3.0, 0.3])
def test_tempo_changes_the_duration_not_the_pitch(factor: float) -> None:
    pcm = _voiced(2.0, freq=300.0)
    faster = change_tempo(pcm, factor)
    assert faster.duration_s == pytest.approx(2.0 / factor, rel=0.03)
    spectrum = np.abs(np.fft.rfft(faster.samples))
    peak_hz = np.argmax(spectrum) * RATE / faster.samples.size
    assert peak_hz == pytest.approx(300.0, abs=5.0)


def test_tempo_one_is_the_same_samples_and_out_of_range_is_refused() -> None:
    pcm = _voiced(0.5)
    assert change_tempo(pcm, 1.0) is pcm
    for bad in (0.2, 4.5, True, "2"):
        with pytest.raises(InvalidOptionError, match="speed"):
            change_tempo(pcm, bad)  # type: ignore[arg-type]


def test_fit_wav_keeps_a_16_bit_wav_that_fits() -> None:
    wav = encode_tone(2.0, sample_rate=24_000)
    fitted = fit_wav(wav, max_data_uri_chars=10_000_000)
    assert fitted.steps == ("kept as is",)
    assert fitted.data == wav


def test_fit_wav_converts_any_readable_audio_to_16_bit_mono_wav() -> None:
    stereo = np.stack([np.sin(np.arange(44_100 * 3) / 9)] * 2, axis=1).astype(np.float32) * 0.3
    m4a = encode_m4a(stereo, rate=44_100)
    fitted = fit_wav(m4a, max_data_uri_chars=10_000_000, name="ref.m4a")
    info = probe_bytes(fitted.data, source_name="x")
    assert (info.format, info.codec, info.channels, info.sample_rate_hz) == ("wav", "pcm_s16le", 1, 24_000)
    assert info.duration_s == pytest.approx(3.0, abs=0.05)
    assert fitted.original.format == "m4a"


def test_fit_wav_goes_down_to_16_khz_then_says_how_long_fits() -> None:
    wav = encode_tone(4.0, sample_rate=48_000)  # 24 kHz WAV: 192 KB; 16 kHz: 128 KB
    fitted = fit_wav(wav, max_data_uri_chars=200_000)
    assert fitted.info.sample_rate_hz == 16_000
    with pytest.raises(AudioTooLargeError, match="about 2 s fit"):
        fit_wav(wav, max_data_uri_chars=90_000)


def test_fit_wav_checks_its_budget() -> None:
    with pytest.raises(InvalidOptionError):
        fit_wav(encode_tone(0.5), max_data_uri_chars=0)


def test_an_encoder_this_pyav_lacks_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PyAV build without libopus (an old or trimmed wheel): Opus is refused, saying what works."""
    import av

    real = av.codec.Codec

    def codec(name: str, mode: str = "r") -> object:
        if name == "libopus":
            raise av.codec.codec.UnknownCodecError(name)
        return real(name, mode)

    monkeypatch.setattr(av.codec, "Codec", codec)
    with pytest.raises(UnsupportedAudioFormatError, match=r"no libopus encoder.*ask for wav, mp3 or flac"):
        encode_pcm(_voiced(0.5), "opus")
    assert probe_bytes(encode_pcm(_voiced(0.5), "flac"), source_name="x").format == "flac"
