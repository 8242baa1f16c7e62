"""The emulator's HTTP plumbing: clients that hang up mid-request are not errors."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest

from mimo_openai_ext import read_answer
from mimo_openai_ext.emulator import EmulatorHandle, run_emulator


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    """An emulator of this test's own, so its open connections are only this test's."""
    with run_emulator() as handle:
        yield handle


def _request_head(emu: EmulatorHandle, length: int) -> bytes:
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {emu.host}\r\n"
        f"Authorization: Bearer {emu.api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _hang_up(emu: EmulatorHandle, data: bytes, *, reset: bool) -> None:
    """Send ``data`` (a request cut short), then close (FIN) or reset (RST) the connection."""
    sock = socket.create_connection((emu.host, emu.port))
    sock.sendall(data)
    time.sleep(0.05)  # let the server start reading what it was promised
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _wait_until_handled(emu: EmulatorHandle) -> None:
    """Until the server has finished (and closed) every connection it accepted."""
    deadline = time.monotonic() + 5.0
    while emu._server._open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not emu._server._open


@pytest.mark.parametrize(
    ("cut", "reset"),
    [
        ("mid-body", False),  # the 400 reply meets a closed socket: BrokenPipeError
        ("mid-body", True),  # the body read meets a reset: ConnectionResetError
        ("mid-request-line", True),  # before any request is parsed: ConnectionResetError
    ],
)
def test_a_client_hanging_up_mid_request_prints_nothing(
    emulator: EmulatorHandle, capfd: pytest.CaptureFixture[str], cut: str, reset: bool
) -> None:
    head = _request_head(emulator, 100_000)
    data = head + b'{"model": "mimo' if cut == "mid-body" else head[:20]
    for _ in range(3):
        _hang_up(emulator, data, reset=reset)
    _wait_until_handled(emulator)
    with emulator.client(max_retries=0) as client:  # and the emulator keeps serving
        completion = client.chat.completions.create(
            model="mimo-v2.6-flash", messages=[{"role": "user", "content": "hello"}]
        )
    assert read_answer(completion)
    _wait_until_handled(emulator)
    out, err = capfd.readouterr()
    assert err == ""
    assert out == ""


def test_verbose_notes_a_hang_up_in_one_line(capfd: pytest.CaptureFixture[str]) -> None:
    with run_emulator(verbose=True) as emu:
        _hang_up(emu, _request_head(emu, 100)[:20], reset=True)
        _wait_until_handled(emu)
    err = capfd.readouterr().err
    assert "went away (ConnectionResetError)" in err
    assert "Traceback" not in err


def test_unexpected_errors_still_print_their_traceback(
    emulator: EmulatorHandle, capfd: pytest.CaptureFixture[str]
) -> None:
    sock = socket.socket()
    try:
        raise RuntimeError("a real bug")
    except RuntimeError:
        emulator._server.handle_error(sock, ("127.0.0.1", 1))
    finally:
        sock.close()
    err = capfd.readouterr().err
    assert "Traceback" in err
    assert "RuntimeError: a real bug" in err
