"""input_audio_part, data_uri, text_part, user_message: exact bytes, canonical MIME, limits."""

from __future__ import annotations

import base64
import dataclasses
import io
import socket
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from _audio import sparse_wav
from _readme import python_blocks

from mimo_openai_ext import (
    DEFAULT_LIMITS,
    AudioTooLargeError,
    InvalidAudioSourceError,
    UnsupportedAudioFormatError,
    input_audio_part,
    text_part,
    user_message,
)
from mimo_openai_ext._parts import audio_part_and_info
from mimo_openai_ext.audio import data_uri, probe_bytes
from mimo_openai_ext.emulator import EmulatorHandle


def _payload(part: object) -> tuple[str, bytes]:
    assert isinstance(part, dict)
    assert set(part) == {"type", "input_audio"}
    assert part["type"] == "input_audio"
    assert set(part["input_audio"]) == {"data"}  # MiMo's schema: no "format" key
    header, _, b64 = part["input_audio"]["data"].partition(",")
    assert header.startswith("data:")
    assert header.endswith(";base64")
    return header[5:-7], base64.b64decode(b64, validate=True)


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("WAV", "audio/wav"), ("FLAC", "audio/flac"), ("OGG", "audio/ogg"), ("MP3", "audio/mpeg")],
)
def test_round_trip_exact_bytes_and_canonical_mime(
    write_audio: Callable[..., Path], fmt: str, mime: str
) -> None:
    path = write_audio("clip.bin", 0.5, format=fmt)
    data = path.read_bytes()
    from_path = input_audio_part(path)
    assert _payload(from_path) == (mime, data)
    assert input_audio_part(str(path)) == from_path
    assert input_audio_part(data) == from_path
    assert input_audio_part(bytearray(data)) == from_path
    assert input_audio_part(memoryview(data)) == from_path
    with path.open("rb") as fh:
        assert input_audio_part(fh) == from_path


@pytest.mark.parametrize(
    ("name", "mime"),
    [("aac_brand_isom.m4a", "audio/mp4"), ("alac.m4a", "audio/mp4"), ("flac.oga", "audio/ogg")],
)
def test_committed_fixtures_become_parts(fixture_file: Callable[[str], Path], name: str, mime: str) -> None:
    path = fixture_file(name)
    assert _payload(input_audio_part(path)) == (mime, path.read_bytes())


def test_file_object_from_its_current_position(make_audio: Callable[..., bytes]) -> None:
    data = make_audio(0.3)
    stream = io.BytesIO(b"HEADER" + data)
    stream.seek(6)
    assert _payload(input_audio_part(stream))[1] == data


def test_mime_comes_from_bytes_not_name(write_audio: Callable[..., Path]) -> None:
    path = write_audio("song.mp3", 0.3, format="WAV")
    assert _payload(input_audio_part(path))[0] == "audio/wav"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network call was made")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("url", ["https://files.example/a.wav?sig=1", "http://127.0.0.1:9/x.mp3"])
def test_http_urls_pass_through_untouched(url: str) -> None:
    part = input_audio_part(url)
    assert part == {"type": "input_audio", "input_audio": {"data": url}}
    assert part["input_audio"]["data"] is url
    assert audio_part_and_info(url)[1] is None


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("url", ["file:///tmp/a.wav", "ftp://x.org/a.wav", "s3://b/a.wav"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidAudioSourceError, match="only http"):
        input_audio_part(url)


def test_data_uri_with_alias_or_wrong_mime_is_re_emitted_canonical(make_audio: Callable[..., bytes]) -> None:
    data = make_audio(0.3)
    b64 = base64.b64encode(data).decode()
    for declared in ("audio/x-wav", "audio/mpeg", "application/octet-stream", ""):
        part = input_audio_part(f"data:{declared};base64,{b64}")
        assert _payload(part) == ("audio/wav", data)


def test_canonical_data_uri_passes_through_as_is(make_audio: Callable[..., bytes]) -> None:
    uri = "data:audio/wav;base64," + base64.b64encode(make_audio(0.3)).decode()
    assert input_audio_part(uri)["input_audio"]["data"] is uri


def test_data_uri_holding_a_refused_format(fixture_file: Callable[[str], Path]) -> None:
    uri = "data:audio/aac;base64," + base64.b64encode(fixture_file("adts.aac").read_bytes()).decode()
    with pytest.raises(UnsupportedAudioFormatError, match=r"^<data URI>: AAC in ADTS"):
        input_audio_part(uri)


def test_too_large_names_size_limit_and_way_out(make_audio: Callable[..., bytes]) -> None:
    data = make_audio(0.5)
    exact = len(data_uri(data, "audio/wav"))
    assert _payload(
        input_audio_part(data, limits=dataclasses.replace(DEFAULT_LIMITS, max_data_uri_chars=exact))
    )
    small = dataclasses.replace(DEFAULT_LIMITS, max_data_uri_chars=exact - 1)
    with pytest.raises(AudioTooLargeError) as info:
        input_audio_part(data, name="talk.wav", limits=small)
    error = info.value
    assert (error.size, error.limit, error.source_name) == (exact, exact - 1, "talk.wav")
    message = str(error)
    for needle in ("talk.wav", f"{exact:,}", f"{exact - 1:,}", "URL", "fit_audio()", "split_audio()"):
        assert needle in message


def test_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # base64 of 60 MB is 80 MB: over MiMo's 50 MB data URI limit; sparse, so it costs no disk
    path = sparse_wav(tmp_path / "huge.wav", size_bytes=60_000_000, sample_rate=16000)
    tracemalloc.start()
    try:
        with pytest.raises(AudioTooLargeError, match=r"^huge\.wav: .*50,000,000"):
            input_audio_part(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, (3 << 20) - 1, 3 << 20, (3 << 20) + 1, (6 << 20) + 5])
def test_data_uri_matches_the_plain_encoding(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert data_uri(data, "audio/wav") == "data:audio/wav;base64," + base64.b64encode(data).decode()


def test_data_uri_rejects_a_bad_mime() -> None:
    with pytest.raises(ValueError, match="not a MIME type"):
        data_uri(b"x", "audio/wav;base64,")


def test_convert_true_turns_a_refused_format_into_an_accepted_one(
    fixture_file: Callable[[str], Path],
) -> None:
    pytest.importorskip("av")
    part = input_audio_part(fixture_file("adts.aac"), convert=True)
    mime, data = _payload(part)
    info = probe_bytes(data, source_name="converted")
    assert mime == info.mime
    assert abs(info.duration_s - 0.6) < 0.2


def test_numpy_array_needs_a_sample_rate() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(InvalidAudioSourceError, match="sample_rate"):
        input_audio_part(np.zeros(1600, dtype=np.float32))


def test_numpy_array_with_sample_rate_becomes_audio() -> None:
    np = pytest.importorskip("numpy")
    samples = (0.1 * np.sin(np.arange(16000) / 5)).astype(np.float32)
    mime, data = _payload(input_audio_part(samples, sample_rate=16000))
    info = probe_bytes(data, source_name="array")
    assert info.mime == mime
    assert abs(info.duration_s - 1.0) < 0.05


def test_text_part_and_user_message(make_audio: Callable[..., bytes]) -> None:
    audio = input_audio_part(make_audio(0.2))
    assert text_part("Describe it") == {"type": "text", "text": "Describe it"}
    message = user_message(audio, "Describe it")
    assert message == {"role": "user", "content": [audio, {"type": "text", "text": "Describe it"}]}
    with pytest.raises(TypeError, match="input_audio_part"):
        user_message(b"raw bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        user_message()
    with pytest.raises(TypeError):
        text_part(3)  # type: ignore[arg-type]


def test_readme_section_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture_file: Callable[[str], Path]
) -> None:
    import shutil

    code = python_blocks("Audio parts, formats and probing")[0]
    shutil.copy(fixture_file("aac_brand_m4a.m4a"), tmp_path / "meeting.m4a")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["info"] == probe_bytes(
        (tmp_path / "meeting.m4a").read_bytes(), source_name="meeting.m4a"
    )
    assert namespace["messages"] == [user_message(namespace["part"], "Describe the audio")]  # type: ignore[arg-type]


def test_sample_rate_is_refused_for_encoded_audio(make_audio: Callable[..., bytes]) -> None:
    with pytest.raises(InvalidAudioSourceError, match="only for numpy sample arrays"):
        input_audio_part(make_audio(0.2), sample_rate=16000)


def test_non_contiguous_memoryview(make_audio: Callable[..., bytes]) -> None:
    data = make_audio(0.2)
    doubled = bytes(b for byte in data for b in (byte, 0))
    strided = memoryview(doubled)[::2]
    assert not strided.contiguous
    assert _payload(input_audio_part(strided))[1] == data


def test_data_uri_over_the_limit_is_refused_even_when_already_canonical(
    make_audio: Callable[..., bytes],
) -> None:
    uri = "data:audio/mpeg;base64," + base64.b64encode(make_audio(0.5, format="MP3")).decode()
    fits = dataclasses.replace(DEFAULT_LIMITS, max_data_uri_chars=len(uri))
    assert input_audio_part(uri, limits=fits)["input_audio"]["data"] is uri
    with pytest.raises(AudioTooLargeError, match=r"^<data URI>: "):
        input_audio_part(uri, limits=dataclasses.replace(DEFAULT_LIMITS, max_data_uri_chars=len(uri) - 1))


@pytest.mark.parametrize(
    "make",
    ["WAV", "FLAC", "OGG", "MP3", "aac_brand_isom.m4a", "alac.m4a", "mpeg25_noid3.mp3"],
)
def test_parts_are_heard_end_to_end_through_the_sdk(
    mimo_emulator: EmulatorHandle,
    make_audio: Callable[..., bytes],
    fixture_file: Callable[[str], Path],
    make: str,
) -> None:
    """The real openai SDK over HTTP to the emulator: MiMo counts the tokens we estimated."""
    data = fixture_file(make).read_bytes() if "." in make else make_audio(2.0, format=make)
    part, info = audio_part_and_info(data)
    assert info is not None
    client = mimo_emulator.client(max_retries=0)
    with client:
        completion = client.chat.completions.create(
            model="mimo-v2.6-flash",
            max_completion_tokens=64,
            messages=[user_message(part, "What is in this recording?")],
        )
    assert completion.usage is not None
    details = completion.usage.prompt_tokens_details
    assert details is not None
    assert details.audio_tokens == info.audio_tokens


def test_a_plain_list_of_samples_is_pointed_at_numpy() -> None:
    with pytest.raises(InvalidAudioSourceError, match=r"numpy\.asarray\(samples, dtype='float32'\)"):
        input_audio_part([0.1, 0.2], sample_rate=16000)  # type: ignore[arg-type]
