"""Hostile inputs are refused by name before they are read: FIFOs, devices, endless streams,
a NUL in a path, a list of numbers given as audio."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from mimo_openai_ext import (
    AudioTooLargeError,
    InvalidAudioSourceError,
    ask,
    input_audio_part,
    probe_audio,
)
from mimo_openai_ext._audio import source
from mimo_openai_ext._cli import _stdin
from mimo_openai_ext.audio import read_source

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")

READERS: dict[str, Callable[[Any], object]] = {
    "probe_audio": probe_audio,
    "input_audio_part": input_audio_part,
    "read_source": read_source,
}


def _ends_within(seconds: float, call: Callable[[], object]) -> BaseException:
    """Run ``call`` on a thread; it must raise within ``seconds`` (a hang fails the test, not the run)."""
    box: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the call hung"
    assert box, "the call did not raise"
    return box[0]


@posix_only
@pytest.mark.parametrize("reader", READERS)
def test_a_fifo_is_refused_by_name_without_blocking(tmp_path: Path, reader: str) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    error = _ends_within(5, lambda: READERS[reader](fifo))
    assert isinstance(error, InvalidAudioSourceError)
    assert str(error).startswith(f"{fifo}: this is a named pipe (FIFO), not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("reader", READERS)
def test_a_device_is_refused_by_name_before_any_read(device: str, reader: str) -> None:
    error = _ends_within(5, lambda: READERS[reader](device))
    assert isinstance(error, InvalidAudioSourceError)
    assert str(error).startswith(f"{device}: this is a character device, not a regular file")


@posix_only
def test_a_control_character_in_a_path_is_shown_escaped(tmp_path: Path) -> None:
    fifo = tmp_path / "a\x1b[2Jb\n.wav"
    os.mkfifo(fifo)
    error = _ends_within(5, lambda: READERS["read_source"](fifo))
    assert str(error).startswith(f"{tmp_path}/a\\x1b[2Jb\\n.wav: this is a named pipe (FIFO)")
    assert "\x1b" not in str(error)
    missing = _ends_within(5, lambda: READERS["read_source"](str(tmp_path / "gone\x07.wav")))
    assert str(missing).startswith(f"{tmp_path}/gone\\x07.wav: no such file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_stream_is_read_no_further_than_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_STREAM_BYTES", 1 << 20)
    with open("/dev/zero", "rb") as endless:
        error = _ends_within(5, lambda: input_audio_part(endless))
        assert isinstance(error, AudioTooLargeError)
        assert endless.tell() <= (1 << 20) + 1
    assert "more than 1,048,576 bytes came from this stream" in str(error)


class _ShortReads(io.RawIOBase):
    """A raw stream that answers each read with at most 7 bytes (as a pipe may)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece, self._data = self._data[:7], self._data[7:]
        buffer[: len(piece)] = piece
        return len(piece)


def test_a_stream_answering_short_is_still_read_whole() -> None:
    assert source.read_capped(_ShortReads(b"x" * 100), "<short>") == b"x" * 100  # type: ignore[arg-type]


def test_the_cap_is_what_mimo_could_ever_take() -> None:
    from mimo_openai_ext import DEFAULT_LIMITS

    assert DEFAULT_LIMITS.max_url_file_bytes == source.MAX_STREAM_BYTES


def test_standard_input_is_capped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_STREAM_BYTES", 1000)

    class _Stdin:
        buffer = io.BufferedReader(_ShortReads(b"\0" * 5000))  # type: ignore[arg-type]

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", _Stdin())
    monkeypatch.setattr(_stdin, "_read", [])
    with pytest.raises(AudioTooLargeError, match="<stdin>: more than 1,000 bytes"):
        _stdin.stdin_bytes()


@pytest.mark.parametrize("reader", READERS)
def test_a_nul_in_a_path_names_the_input(reader: str) -> None:
    with pytest.raises(InvalidAudioSourceError) as caught:
        READERS[reader]("calls/a\0b.wav")
    assert "calls/a\\x00b.wav: this path holds a NUL character" in str(caught.value)


def test_ask_given_a_list_of_floats_points_at_numpy_asarray() -> None:
    with (
        openai.OpenAI(api_key="sk-unused-0123456789", base_url="http://127.0.0.1:9/v1") as client,
        pytest.raises(InvalidAudioSourceError) as caught,
    ):
        ask(client, [0.0, 0.25, -0.5, 1.0], "what is it?")
    message = str(caught.value)
    assert "a list of 4 numbers looks like audio samples" in message
    assert "numpy.asarray(samples, dtype='float32')" in message
    assert "sample_rate=" in message


def test_a_regular_file_still_works_after_the_checks(tmp_path: Path) -> None:
    from _audio import write_silence

    clip = write_silence(tmp_path / "ok.wav", 0.5, sample_rate=8000)
    start = time.monotonic()
    assert probe_audio(clip).duration_s == pytest.approx(0.5)
    assert read_source(clip)[0] == clip.read_bytes()
    with open(clip, "rb") as fh:
        assert input_audio_part(fh)["input_audio"]["data"].startswith("data:audio/wav;base64,")
    assert time.monotonic() - start < 5
