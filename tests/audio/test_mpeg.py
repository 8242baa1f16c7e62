"""MPEG audio frame search the way decoders do it: every leading tag, further, confirmed frames."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from _formats import id3
from _mp4 import mpeg_frames

from mimo_openai_ext import CorruptAudioError, UnsupportedAudioFormatError
from mimo_openai_ext._audio import mpeg
from mimo_openai_ext.audio import probe_bytes, sniff_audio


@pytest.fixture(scope="module")
def mp3() -> bytes:
    from _audio import encode_tone

    return encode_tone(2.0, format="MP3", sample_rate=44100)


def _duration(data: bytes) -> float:
    return probe_bytes(data, source_name="x.mp3").duration_s


@pytest.mark.parametrize(
    "prefix",
    # The second tag holds cover art: far more than one frame search past the first tag covers.
    [id3(100) + id3(80_000), id3(100) + bytes(500) + id3(80_000, version=4), id3(50) * 4 + id3(80_000)],
    ids=["two-tags", "padding-between", "five-tags"],
)
def test_every_leading_id3_tag_is_skipped(mp3: bytes, prefix: bytes) -> None:
    found = sniff_audio(prefix + mp3, source_name="tagged.mp3")
    assert (found.format, found.audio_offset) == ("mp3", len(prefix))
    assert _duration(prefix + mp3) == pytest.approx(_duration(mp3))


def test_audio_after_a_tag_and_padding_is_found(mp3: bytes) -> None:
    data = id3(100) + bytes(9000) + mp3  # padding past the old 4 KiB search
    assert sniff_audio(data, source_name="x.mp3").audio_offset == 9100


@pytest.mark.parametrize("junk", [5000, 20000, 60000])
def test_first_frame_after_junk_without_a_tag(mp3: bytes, junk: int) -> None:
    data = random.Random(junk).randbytes(junk) + mp3
    found = sniff_audio(data, source_name="x.mp3")
    assert (found.format, found.audio_offset) == ("mp3", junk)
    assert _duration(data) == pytest.approx(_duration(mp3))


@pytest.mark.parametrize("cut", [1, 100, 300, 417])
def test_a_stream_cut_mid_frame_is_still_mp3(mp3: bytes, cut: int) -> None:
    assert sniff_audio(mp3[cut:], source_name="cut.mp3").format == "mp3"


def test_junk_searches_stop_at_64_kib(mp3: bytes) -> None:
    data = random.Random(1).randbytes(70000) + mp3
    with pytest.raises(CorruptAudioError, match="not recognisable"):
        sniff_audio(data, source_name="x.mp3")


@pytest.mark.parametrize(
    "data",
    [mpeg_frames(1), id3(64) + mpeg_frames(1), bytes(100) + mpeg_frames(1)],
    ids=["bare", "after-id3", "after-zeros"],
)
def test_a_single_frame_is_not_a_stream(data: bytes) -> None:
    with pytest.raises(CorruptAudioError, match=r"single MPEG audio frame \(26 ms\)"):
        sniff_audio(data, source_name="one.mp3")


def test_the_lone_xing_frame_of_a_real_file_is_refused(mp3: bytes) -> None:
    first = mpeg.parse_frame(mp3, 0)
    assert first is not None
    assert mpeg.xing_frames(mp3, 0, first) is not None  # the Info frame holds no audio
    with pytest.raises(CorruptAudioError, match="single MPEG audio frame"):
        probe_bytes(mp3[: first.frame_bytes], source_name="info-only.mp3")


def test_two_frames_then_an_id3v1_tag_is_a_stream() -> None:
    data = mpeg_frames(2) + b"TAG" + bytes(125)
    found = sniff_audio(data, source_name="short.mp3")
    assert found.format == "mp3"
    assert probe_bytes(data, source_name="short.mp3").duration_s == pytest.approx(2 * 1152 / 44100)


def test_layer_ii_is_refused_wherever_it_starts() -> None:
    layer2 = (b"\xff\xfd\x80\x64" + bytes(417 - 4)) * 4  # MPEG-1 Layer II, 128 kbps, 44.1 kHz
    with pytest.raises(UnsupportedAudioFormatError, match="Layer II"):
        sniff_audio(id3(64) + id3(64) + layer2, source_name="x.mp2")


def test_one_adts_header_is_not_adts_but_two_frames_are() -> None:
    frame = b"\xff\xf1\x50\x80\x19\x1f\xfc" + bytes(193)  # frame_length 200
    assert mpeg.is_adts(frame * 2)
    assert mpeg.is_adts(frame)  # one whole frame that ends the data
    assert not mpeg.is_adts(frame[:4] + bytes(400))  # a lone sync word: frame_length 0
    assert not mpeg.is_adts(frame + b"\x12\x34" + bytes(300))  # the next frame is not where it says


def test_random_bytes_are_not_mp3_even_with_the_long_search(make_audio: Callable[..., bytes]) -> None:
    for seed in range(20):
        data = random.Random(seed).randbytes(66000)
        with pytest.raises(CorruptAudioError):
            sniff_audio(data, source_name="noise.bin")
