"""read_source / open_source: what is read, from where, and what is refused."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest

from mimo_openai_ext import InvalidAudioSourceError
from mimo_openai_ext._audio.source import is_data_uri, is_url, open_source, parse_data_uri, url_scheme
from mimo_openai_ext.audio import read_source


def test_bytes_like_sources() -> None:
    data = b"RIFF....WAVEfmt "
    assert read_source(data) == (data, "<bytes>")
    assert read_source(bytearray(data)) == (data, "<bytes>")
    assert read_source(memoryview(data)) == (data, "<bytes>")
    assert read_source(data, name="mine") == (data, "mine")


def test_path_and_str_give_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(b"abc")
    assert read_source(path) == (b"abc", "clip.wav")
    assert read_source(str(path)) == (b"abc", "clip.wav")


def test_file_object_is_read_from_its_current_position(tmp_path: Path) -> None:
    stream = io.BytesIO(b"0123456789")
    stream.seek(4)
    assert read_source(stream) == (b"456789", "<bytes>")
    path = tmp_path / "named.bin"
    path.write_bytes(b"xyz")
    with path.open("rb") as fh:
        fh.read(1)
        assert read_source(fh) == (b"yz", "named.bin")


def test_text_mode_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"abc")
    with path.open("r") as fh, pytest.raises(InvalidAudioSourceError, match="binary mode"):
        read_source(fh)  # type: ignore[arg-type]


def test_data_uri_is_decoded() -> None:
    uri = "data:audio/wav;base64," + base64.b64encode(b"hello").decode()
    assert read_source(uri) == (b"hello", "<data URI>")
    parsed = parse_data_uri(uri)
    assert (parsed.mime, parsed.data, parsed.base64, parsed.canonical_payload) == (
        "audio/wav",
        b"hello",
        True,
        True,
    )


def test_data_uri_variants() -> None:
    assert parse_data_uri("data:audio/x-wav;base64,aGVs\nbG8=").data == b"hello"
    assert parse_data_uri("data:audio/wav;base64," + "QUFB" * 40 + "\n" + "QUFB").data == b"AAA" * 41
    assert not parse_data_uri("data:audio/x-wav;base64,aGVs\nbG8=").canonical_payload
    assert parse_data_uri("data:Audio/WAV;codec=x;base64,aGVsbG8=").mime == "audio/wav"
    assert parse_data_uri("data:audio/wav,%52%49FF").data == b"RIFF"
    with pytest.raises(InvalidAudioSourceError, match="does not decode"):
        parse_data_uri("data:audio/wav;base64,@@@@")
    with pytest.raises(InvalidAudioSourceError, match="not a data URI"):
        parse_data_uri("data:audio/wav;base64")


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("https://x.org/a.wav", "https"),
        ("HTTP://x.org/a.wav", "http"),
        ("file:///tmp/a.wav", "file"),
        ("ftp://x.org/a.wav", "ftp"),
        ("s3://bucket/a.wav", "s3"),
        ("data:audio/wav;base64,AAAA", "data"),
        ("C:\\audio\\a.wav", None),
        ("C:/audio/a.wav", None),
        ("meeting.m4a", None),
        ("notes:v2.wav", None),
    ],
)
def test_url_scheme(text: str, scheme: str | None) -> None:
    assert url_scheme(text) == scheme
    assert is_url(text) == (scheme in ("http", "https"))
    assert is_data_uri(text) == (scheme == "data")


@pytest.mark.parametrize("url", ["https://x.org/a.wav", "file:///etc/passwd", "ftp://x.org/a.wav"])
def test_urls_are_not_read(url: str) -> None:
    with pytest.raises(InvalidAudioSourceError) as info:
        read_source(url)
    assert str(info.value).startswith(url)


def test_missing_file_directory_and_bad_types(tmp_path: Path) -> None:
    typed = re.escape(str(tmp_path / "nope.wav"))
    with pytest.raises(InvalidAudioSourceError, match=f"^{typed}: no such file$"):
        read_source(tmp_path / "nope.wav")  # the path as given (absolute: no second copy of it)
    with pytest.raises(InvalidAudioSourceError, match="is a directory"):
        read_source(tmp_path)
    with pytest.raises(InvalidAudioSourceError, match="cannot read audio from a int"):
        read_source(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidAudioSourceError, match="empty string"):
        read_source("")


def test_path_is_opened_once_and_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import os

    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 10_000)
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def counting_os_open(file: object, *args: object, **kwargs: object) -> int:
        opened.append(str(file))
        return real_os_open(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(os, "open", counting_os_open)
    with open_source(path) as src:
        assert src.size_bytes == 10_000
        assert bytes(src.data[:3]) == b"xxx"
        assert src.name == "a.bin"
    assert opened == [str(path)]


def test_open_source_does_not_copy_bytes() -> None:
    data = b"y" * 1000
    with open_source(data) as src:
        assert src.data is data


def test_empty_path(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with open_source(path) as src:
        assert src.size_bytes == 0


def test_a_file_object_read_to_its_end_says_seek_0(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    path.write_bytes(b"RIFF" + bytes(100))
    with open(path, "rb") as f:
        f.read()
        with pytest.raises(
            InvalidAudioSourceError, match=r"^speech\.wav: nothing left to read after position 104.*seek\(0\)"
        ):
            read_source(f)
        f.seek(0)
        assert read_source(f)[0] == path.read_bytes()  # after seek(0) it reads again
    assert read_source(io.BytesIO(b""))[0] == b""  # an empty object at position 0 is just empty


def test_bad_types_are_labelled_by_type_and_told_what_is_accepted() -> None:
    for value, label in ((123, "<int>"), ([0.1, 0.2], "<list>"), (None, "<NoneType>")):
        with pytest.raises(InvalidAudioSourceError) as info:
            read_source(value)  # type: ignore[arg-type]
        assert info.value.source_name == label
        assert str(info.value).startswith(f"{label}: cannot read audio")
        assert "accepted: a path (str or pathlib.Path)" in str(info.value)
    with pytest.raises(InvalidAudioSourceError, match=r"numpy\.asarray\(samples"):
        read_source([0.1, 0.2])  # type: ignore[arg-type]


def test_a_folder_is_named_by_its_full_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidAudioSourceError) as info:
        read_source(str(tmp_path))
    assert str(info.value).startswith(f"{tmp_path} is a directory (a folder), not an audio file")
    assert "ask_batch" in str(info.value)
