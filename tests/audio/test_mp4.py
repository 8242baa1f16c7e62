"""The MP4 box walker on hand-built headers: configs, codecs, video by codec, nesting, fragments."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from _mp4 import asc, audio_entry, box, esds, fragment, movie, mpeg_frames, trak, trex, visual_entry

from mimo_openai_ext import CorruptAudioError, UnsupportedAudioFormatError
from mimo_openai_ext._audio import mp4
from mimo_openai_ext._audio.decode import open_audio
from mimo_openai_ext.audio import probe_bytes, sniff_audio


def _m4a(
    config: bytes, *, entry_rate_hz: int = 44100, timescale: int = 44100, object_type: int = 0x40
) -> bytes:
    entry = audio_entry(b"mp4a", esds(object_type, config), rate_hz=entry_rate_hz)
    return movie(
        trak(b"soun", entry, timescale=timescale, duration=timescale), tail=box(b"mdat", payload=bytes(64))
    )


# --- 1. the AudioSpecificConfig reader is bounded and correct -------------------------------


@pytest.mark.parametrize(
    ("config", "rate_hz", "channels", "profile"),
    [
        (asc(2, 44100, 2), 44100, 2, "AAC LC"),
        (asc(2, 44100, 2, explicit=True), 44100, 2, "AAC LC"),
        # SBR with explicit 24-bit rates: 70 bits, more than the old 64-bit reader held.
        (asc(5, 22050, 2, sbr_rate_hz=44100, explicit=True), 44100, 2, "HE-AAC"),
        (asc(5, 24000, 1, sbr_rate_hz=48000), 48000, 1, "HE-AAC"),
        (asc(29, 24000, 1, sbr_rate_hz=48000, explicit=True), 48000, 2, "HE-AAC v2"),  # PS: stereo out
        (asc(2, 22050, 2, sync_extension_rate_hz=44100), 44100, 2, "HE-AAC"),  # backward compatible
        (asc(2, 24000, 1, sync_extension_rate_hz=48000, ps=True), 48000, 2, "HE-AAC v2"),
        (asc(1, 48000, 6), 48000, 6, "AAC Main"),
        (asc(2, 48000, 7), 48000, 8, "AAC LC"),  # channel configuration 7 is 7.1
    ],
    ids=[
        "lc",
        "lc-explicit",
        "sbr-explicit-24bit",
        "sbr",
        "ps-explicit",
        "sync-ext",
        "sync-ext-ps",
        "main",
        "7.1",
    ],
)
def test_audio_specific_configs(config: bytes, rate_hz: int, channels: int, profile: str) -> None:
    data = _m4a(config, entry_rate_hz=rate_hz // 2 if "HE" in profile else rate_hz)
    found = sniff_audio(data, source_name="a.m4a")
    assert (found.format, found.codec) == ("m4a", "aac")
    assert found.description.startswith(f"M4A ({profile},")
    info = probe_bytes(data, source_name="a.m4a")
    assert (info.sample_rate_hz, info.channels) == (rate_hz, channels)


def test_implicit_sbr_reports_the_output_rate_the_container_gives() -> None:
    # The config names only the 22.05 kHz AAC core; the sample entry and timescale say 44.1 kHz.
    data = _m4a(asc(2, 22050, 2), entry_rate_hz=44100, timescale=44100)
    assert probe_bytes(data, source_name="he.m4a").sample_rate_hz == 44100
    plain = _m4a(asc(2, 22050, 2), entry_rate_hz=22050, timescale=22050)
    assert probe_bytes(plain, source_name="lc.m4a").sample_rate_hz == 22050


@pytest.mark.parametrize("cut", range(1, 12))
def test_configs_cut_anywhere_keep_what_was_read(cut: int) -> None:
    config = asc(5, 22050, 2, sbr_rate_hz=44100, explicit=True)[:cut]
    summary = mp4.summarize_mp4(_m4a(config))
    assert not summary.damage
    assert summary.tracks[0].codec == "mp4a"


def test_boxes_nested_without_end_are_damage_not_a_recursion_error() -> None:
    deep = box(b"trak")
    for _ in range(5000):
        deep = box(b"trak", deep)
    data = box(b"ftyp", payload=b"M4A \0\0\0\0M4A ") + box(b"moov", deep)
    summary = mp4.summarize_mp4(data)
    assert "nested deeper than 8 levels" in summary.damage
    with pytest.raises(CorruptAudioError, match="nested deeper") as caught:
        probe_bytes(data, source_name="deep.m4a")
    assert str(caught.value).startswith("deep.m4a: ")


def test_containers_nested_in_themselves_stop_too() -> None:
    deep = box(b"stbl")
    for kind in [b"minf", b"mdia", b"edts", b"mvex"] * 400:
        deep = box(kind, deep)
    data = movie(box(b"trak", deep))
    with pytest.raises(CorruptAudioError, match="nested deeper"):
        sniff_audio(data, source_name="x.m4a")


# --- 2. what an mp4a entry holds ------------------------------------------------------------


@pytest.mark.parametrize(
    ("object_type", "config", "needle"),
    [
        (0x40, bytes([0xF8, 0x9F, 0x42, 0x00]) + bytes(8), r"MPEG-4 ALS \(lossless\)"),  # type 31 + 4
        (0x40, asc(42, 48000, 2) + bytes(4), r"xHE-AAC \(USAC\)"),
        (0x40, asc(22, 44100, 2) + bytes(4), "ER BSAC"),
        (0x40, asc(3, 44100, 2) + bytes(4), "AAC SSR"),
        (0x6B, b"", r"MPEG-1 audio \(MP3/MP2\)"),
        (0x69, b"", r"MPEG-2 audio \(MP3/MP2\)"),
        (0xA5, b"", "AC-3"),
        (0xDD, b"", "Vorbis"),
        (0xC0, b"", r"esds object type 0xC0 \(unknown\)"),
    ],
    ids=["als", "usac", "bsac", "ssr", "mp3-oti", "mp3-mpeg2-oti", "ac3-oti", "vorbis-oti", "unknown-oti"],
)
def test_non_aac_inside_mp4a_is_refused_by_name(object_type: int, config: bytes, needle: str) -> None:
    with pytest.raises(UnsupportedAudioFormatError, match=f"holding {needle} audio") as caught:
        sniff_audio(_m4a(config, object_type=object_type), source_name="x.m4a")
    assert "M4A is AAC or ALAC" in str(caught.value)
    assert caught.value.convertible


def test_mp3_inside_mp4_is_named_from_its_first_frame() -> None:
    entry = audio_entry(b"mp4a", esds(0x6B, b""))
    head = movie(trak(b"soun", entry, first_chunk_at=0))
    mdat_payload_at = len(head) + 8
    data = movie(
        trak(b"soun", entry, first_chunk_at=mdat_payload_at), tail=box(b"mdat", payload=mpeg_frames(3))
    )
    with pytest.raises(UnsupportedAudioFormatError, match=r"holding MP3 \(MPEG-1 Layer III\) audio"):
        sniff_audio(data, source_name="mp3.mp4")


def test_aac_object_types_of_mpeg2_are_aac() -> None:
    assert sniff_audio(_m4a(asc(2, 44100, 2), object_type=0x67), source_name="x").codec == "aac"


def test_drm_protected_audio_is_named_and_not_offered_conversion() -> None:
    sinf = box(b"sinf", box(b"frma", payload=b"mp4a"), box(b"schm", payload=bytes(4) + b"cenc" + bytes(4)))
    entry = audio_entry(b"enca", esds(0x40, asc(2, 44100, 2)), sinf)
    with pytest.raises(UnsupportedAudioFormatError, match=r"DRM-protected \(encrypted\) AAC") as caught:
        sniff_audio(movie(trak(b"soun", entry)), source_name="song.m4p")
    assert not caught.value.convertible
    assert "convert=True" not in str(caught.value)


def test_compressed_quicktime_header_is_named() -> None:
    data = box(b"moov", box(b"cmov", box(b"dcom", payload=b"zlib"), box(b"cmvd", payload=bytes(20))))
    with pytest.raises(UnsupportedAudioFormatError, match="compressed header"):
        sniff_audio(data, source_name="old.mov")


# --- 3. video is found by its codec, whatever the handler says --------------------------------


@pytest.mark.parametrize("codec", [b"avc1", b"hvc1", b"hev1", b"mp4v", b"av01", b"vp09", b"apcn", b"encv"])
@pytest.mark.parametrize("handler", [b"vide", b"soun", b"vidf", b"\0\0\0\0"])
def test_video_tracks_are_refused_whatever_their_handler(codec: bytes, handler: bytes) -> None:
    audio = trak(b"soun", audio_entry(b"mp4a", esds(0x40, asc(2, 44100, 2))), track_id=1)
    video = trak(handler, visual_entry(codec), track_id=2)
    with pytest.raises(UnsupportedAudioFormatError, match=f"video track \\({codec.decode()}\\)"):
        sniff_audio(movie(audio, video, brand=b"mp42"), source_name="v.mp4")


def test_committed_video_with_a_renamed_handler_is_still_video(fixture_file: Callable[[str], Path]) -> None:
    data = bytearray(fixture_file("video.mp4").read_bytes())
    at = data.find(b"hdlr")
    while at >= 0:
        if data[at + 12 : at + 16] == b"vide":
            data[at + 12 : at + 16] = b"soun"  # the one changed byte pattern that fooled the handler check
        at = data.find(b"hdlr", at + 4)
    assert b"vide" not in bytes(data[: data.find(b"mdat")])
    with pytest.raises(UnsupportedAudioFormatError, match=r"video track \(avc1\)"):
        sniff_audio(bytes(data), source_name="video.mp4")


def test_audio_is_found_by_its_codec_when_the_handler_is_damaged() -> None:
    entry = audio_entry(b"mp4a", esds(0x40, asc(2, 44100, 2)))
    data = movie(trak(b"sXun", entry), tail=box(b"mdat", payload=bytes(64)))
    assert probe_bytes(data, source_name="a.m4a").sample_rate_hz == 44100


def test_cover_art_tracks_are_not_video() -> None:
    audio = trak(b"soun", audio_entry(b"mp4a", esds(0x40, asc(2, 44100, 2))))
    chapters = trak(b"vide", visual_entry(b"jpeg"), track_id=2)
    data = movie(audio, chapters, tail=box(b"mdat", payload=bytes(64)))
    assert sniff_audio(data, source_name="book.m4b").format == "m4a"


# --- 7. edit lists never shorten fragmented files -------------------------------------------


def test_fragmented_3gp_edit_list_covering_the_first_fragment_does_not_shorten_it() -> None:
    # 16.35 s of 8 kHz AAC in fragments of 1024-sample frames; the edit list, written when
    # only the first fragment existed, says 15.0 s.
    rate, frame = 8000, 1024
    frames = round(16.35 * rate / frame)
    entry = audio_entry(b"mp4a", esds(0x40, asc(2, rate, 1)), channels=1, rate_hz=rate)
    track = trak(b"soun", entry, timescale=rate, duration=0, edits=[(15000, 0)])
    fragments = b"".join(fragment(1, [frame] * 16, sequence=i) for i in range(frames // 16))
    fragments += fragment(1, [frame] * (frames % 16), sequence=99)
    data = movie(track, brand=b"3gp6", movie_duration=0, mvex=trex(1, frame), tail=fragments)
    info = probe_bytes(data, source_name="rec.3gp")
    assert info.duration_s == pytest.approx(frames * frame / rate)
    assert abs(info.duration_s - 16.35) < 0.07


def test_an_unfragmented_edit_list_still_trims_priming() -> None:
    entry = audio_entry(b"mp4a", esds(0x40, asc(2, 8000, 1)), channels=1, rate_hz=8000)
    track = trak(b"soun", entry, timescale=8000, duration=8000 + 1024, edits=[(1000, 1024)])
    data = movie(track, tail=box(b"mdat", payload=bytes(64)))
    assert probe_bytes(data, source_name="x.m4a").duration_s == pytest.approx(1.0)


def test_committed_fragmented_file_keeps_its_ffprobe_duration(fixture_file: Callable[[str], Path]) -> None:
    info = probe_bytes(fixture_file("aac_fragmented.m4a").read_bytes(), source_name="f.m4a")
    assert abs(info.duration_s - 0.728) < 0.01


# --- sizes ------------------------------------------------------------------------------------


def test_huge_box_sizes_are_truncation_not_a_crash() -> None:
    good = _m4a(asc(2, 44100, 2))
    at = good.find(b"moov") - 4
    data = good[:at] + struct.pack(">I", 1) + b"moov" + struct.pack(">Q", 2**63) + good[at + 8 :]
    with pytest.raises(CorruptAudioError):
        sniff_audio(data, source_name="x.m4a")


def test_absurd_track_and_box_counts_are_damage(monkeypatch: pytest.MonkeyPatch) -> None:
    data = box(b"ftyp", payload=b"M4A \0\0\0\0") + box(b"moov", *[box(b"trak")] * 1100)
    assert "more than 1,024 tracks" in mp4.summarize_mp4(data).damage
    monkeypatch.setattr(mp4, "_MAX_BOXES", 500)  # the real limit (4 million) takes seconds to reach
    spam = box(b"ftyp", payload=b"M4A \0\0\0\0") + box(b"free") * 600
    assert "more than 500 boxes" in mp4.summarize_mp4(spam).damage


@pytest.mark.parametrize(
    ("traks", "found"),
    [
        ((trak(b"vide", visual_entry(b"avc1")),), r"video track \(avc1\) and no audio track"),
        ((trak(b"text", box(b"tx3g", payload=bytes(8))),), "without an audio track"),
    ],
)
def test_an_mp4_without_sound_is_refused_without_a_conversion_hint(
    traks: tuple[bytes, ...], found: str
) -> None:
    # converting cannot help (fit would say "has no audio track"), so the refusal must not suggest it
    data = movie(*traks, brand=b"isom", tail=box(b"mdat", payload=bytes(64)))
    for call in (sniff_audio, probe_bytes):
        with pytest.raises(UnsupportedAudioFormatError, match=found) as caught:
            call(data, source_name="clip.mp4")
        assert "nothing to convert" in str(caught.value)
        assert "fit" not in str(caught.value)
        assert caught.value.convertible is False


def _edit_dsi(data: bytes, edit: Callable[[bytearray, int], None]) -> bytes:
    """The committed AAC M4A with its esds DecoderSpecificInfo (tag 0x05) edited at its offset."""
    copy = bytearray(data)
    at = copy.find(bytes.fromhex("0580808005"), copy.find(b"esds"))
    assert at > 0
    edit(copy, at)
    return bytes(copy)


def _null_object_type(data: bytearray, at: int) -> None:
    data[at + 5] &= 0x07  # the AudioSpecificConfig's first 5 bits: audio object type 0


def _no_specific_info(data: bytearray, at: int) -> None:
    data[at] = 0x07  # the descriptor is no longer a DecoderSpecificInfo


def test_an_aac_config_naming_object_type_0_is_corrupt(fixture_file: Callable[[str], Path]) -> None:
    # FFmpeg: "Error while opening decoder ... Function not implemented"; it was accepted as aac
    built = movie(trak(b"soun", audio_entry(b"mp4a", esds(0x40, asc(0, 44100, 2)))))
    edited = _edit_dsi(fixture_file("aac_brand_m4a.m4a").read_bytes(), _null_object_type)
    for data in (built, edited):
        for call in (sniff_audio, probe_bytes):
            with pytest.raises(CorruptAudioError, match="audio object type 0"):
                call(data, source_name="a.m4a")


def test_an_aac_track_without_specific_info_is_still_decoded(fixture_file: Callable[[str], Path]) -> None:
    # FFmpeg (so PyAV) decodes it from the sample entry, so it stays accepted
    edited = _edit_dsi(fixture_file("aac_brand_m4a.m4a").read_bytes(), _no_specific_info)
    assert probe_bytes(edited, source_name="a.m4a").codec == "aac"
    with open_audio(edited) as stream:
        assert stream.read(stream.frames).shape[0] > 0
