"""The emulator as a server facing hostile clients: strict framing, a byte budget taken as bytes
arrive, a deadline on slow uploads, linear answer truncation, URL audio checked hop by hop under
one deadline and one budget, and 400 (never 500) for JSON nested too deeply."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from _audio import encode_silence
from _emulator_support import ask, audio_part, raw_post
from faults import FaultServer, redirect, serve

from mimo_openai_ext import DEFAULT_MODEL as MODEL
from mimo_openai_ext import read_answer
from mimo_openai_ext.emulator import EmulatorHandle, EmulatorOptions, _body, _reply, run_emulator

WAV = encode_silence(0.5, sample_rate=8000)


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    """An emulator of its own (some tests change its byte budget or leave sockets hanging)."""
    with run_emulator() as handle:
        yield handle


def _send(emu: EmulatorHandle, head: str, body: bytes = b"", *, wait_s: float = 3.0) -> tuple[int, bytes]:
    """Send raw bytes (no SDK would send these); the status line and body of the answer, or (0, b"")."""
    sock = socket.create_connection((emu.host, emu.port))
    try:
        sock.sendall(head.encode() + b"\r\n" + body)
        sock.settimeout(wait_s)
        data = b""
        try:
            while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
        except TimeoutError:
            return 0, b""
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        return status, data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    finally:
        sock.close()


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def _head(emu: EmulatorHandle, *headers: str) -> str:
    lines = ["POST /v1/chat/completions HTTP/1.1", f"Host: {emu.host}", f"api-key: {emu.api_key}", *headers]
    return "\r\n".join(lines) + "\r\n"


# -- 13: strict framing ---------------------------------------------------------------------------


def test_a_chunk_size_of_minus_one_is_refused_at_once(emu: EmulatorHandle) -> None:
    emu.configure(max_body_bytes=1000)
    status, body = _send(emu, _head(emu, "Transfer-Encoding: chunked"), b"-1\r\n" + b"x" * 100_000)
    assert status == 400  # not a read to the end of the connection past the limit
    assert b"is not hex" in body


@pytest.mark.parametrize(
    ("headers", "body", "said"),
    [
        (["Content-Length: +5"], b"{}   ", b"digits only"),
        (["Content-Length: 1_0"], b"{}" * 5, b"digits only"),
        (["Content-Length: 0x10"], b"{}" * 8, b"digits only"),
        (["Content-Length: 2", "Content-Length: 3"], b"{} ", b"conflicting Content-Length"),
        (
            ["Content-Length: 7", "Transfer-Encoding: chunked"],
            b"2\r\n{}\r\n0\r\n\r\n",
            b"both Transfer-Encoding",
        ),
        (["Transfer-Encoding: gzip, chunked"], b"2\r\n{}\r\n0\r\n\r\n", b"is not supported"),
        (["Transfer-Encoding: chunked"], b"+2\r\n{}\r\n0\r\n\r\n", b"is not hex"),
        (["Transfer-Encoding: chunked"], b"0x2\r\n{}\r\n0\r\n\r\n", b"is not hex"),
        (["Transfer-Encoding: chunked"], b"2\r\n{}XX\r\n0\r\n\r\n", b"longer than its size"),
        (["Transfer-Encoding: chunked"], b"1" * 40 + b"\r\n", b"is not hex"),
    ],
    ids=[
        "plus",
        "underscore",
        "hex-length",
        "two-lengths",
        "both",
        "gzip",
        "plus-chunk",
        "0x-chunk",
        "overlong-chunk",
        "huge-chunk-size",
    ],
)
def test_bad_framing_is_400_before_the_body_is_read(
    emu: EmulatorHandle, headers: list[str], body: bytes, said: bytes
) -> None:
    status, answer = _send(emu, _head(emu, *headers), body)
    assert status == 400
    assert said in answer


def test_good_chunked_bodies_with_extensions_and_trailers_still_work(emu: EmulatorHandle) -> None:
    payload = json.dumps({"model": MODEL, "messages": ask("hi")}).encode()
    chunked = b"%x;note=1\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n" % (len(payload), payload)
    status, answer = _send(emu, _head(emu, "Transfer-Encoding: chunked"), chunked)
    assert status == 200
    assert json.loads(answer)["choices"]


# -- 14: a slow upload neither holds the budget nor lives for ever -----------------------------------


@pytest.fixture
def small_budget() -> Iterator[EmulatorHandle]:
    with run_emulator(options=EmulatorOptions(max_bytes_in_flight=200_000)) as handle:
        yield handle


def test_a_slow_upload_does_not_hold_the_byte_budget(small_budget: EmulatorHandle) -> None:
    emu = small_budget
    slow = socket.create_connection((emu.host, emu.port))
    try:
        slow.sendall(_head(emu, "Content-Length: 190000").encode() + b"\r\n" + b'{"model": ')  # then silence
        time.sleep(0.2)
        long_wav = encode_silence(
            4.0, sample_rate=8000
        )  # a ~90 KB body: past the budget with the declared one
        with emu.client(max_retries=0, timeout=5) as client:
            start = time.monotonic()
            completion = client.chat.completions.create(
                model=MODEL,
                messages=ask(audio_part(long_wav), "q"),  # type: ignore[arg-type]
            )
        assert time.monotonic() - start < 2
        assert "You asked" in read_answer(completion)
    finally:
        slow.close()


def test_a_trickled_upload_gets_408_after_its_grace(
    emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_body, "UPLOAD_GRACE_S", 0.5)
    monkeypatch.setattr(_body, "UPLOAD_MIN_BYTES_PER_S", 10_000)
    start = time.monotonic()
    status, answer = _send(emu, _head(emu, "Content-Length: 100000"), b'{"model": ', wait_s=5)
    assert status == 408
    assert b"the upload is too slow" in answer
    assert time.monotonic() - start < 2


def test_the_budget_lets_the_oldest_request_go_on_so_none_waits_for_ever() -> None:
    from mimo_openai_ext.emulator._state import ByteBudget

    budget = ByteBudget(100)
    with budget.reservation() as first, budget.reservation() as second:
        assert first.take(60, timeout_s=0)
        assert second.take(30, timeout_s=0)
        assert not second.take(30, timeout_s=0.05)  # it would pass the cap, and it is not the oldest
        assert first.take(60, timeout_s=0)  # the oldest goes on: it finishes, then the rest
    assert budget.peak_bytes == 150
    with budget.reservation() as alone:
        assert alone.take(10_000, timeout_s=0)  # larger than the budget: admitted alone


# -- 15: truncation is not quadratic -----------------------------------------------------------------


def test_cutting_an_answer_counts_tokens_a_logarithmic_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counted: list[int] = []
    real = _reply.text_tokens

    def counting(text: str) -> int:
        counted.append(len(text))
        return real(text)

    monkeypatch.setattr(_reply, "text_tokens", counting)
    text = " ".join(f"word{i}" for i in range(20_000))
    cut = _reply._cut(text, 64)
    assert real(cut) <= 64 < real(cut + " word")  # the longest prefix that fits
    assert len(counted) <= 20  # log2(20,000) + 1, not 20,000
    assert sum(counted) < 20 * len(text)


def test_two_thousand_audio_parts_with_a_small_budget_are_answered(emu: EmulatorHandle) -> None:
    parts = [audio_part(WAV) for _ in range(2000)]
    body = json.dumps({"model": MODEL, "max_completion_tokens": 64, "messages": ask(*parts, "q")}).encode()
    status, answer, _ = raw_post(emu.base_url + "/chat/completions", body, {"api-key": emu.api_key})
    assert status == 200  # within raw_post's 10 s (it took 49 s)
    assert answer["choices"][0]["finish_reason"] == "length"  # type: ignore[index]


# -- 16: URL audio ---------------------------------------------------------------------------------------


def _ask_url(emu: EmulatorHandle, url: str) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"model": MODEL, "messages": ask(audio_part(url), "q")}).encode()
    status, answer, _ = raw_post(emu.base_url + "/chat/completions", body, {"api-key": emu.api_key})
    return status, answer


def test_a_redirect_off_loopback_is_refused_hop_by_hop(
    emu: EmulatorHandle, fault_server: FaultServer
) -> None:
    emu.configure(url_fetch_timeout_s=2)
    fault_server.default = redirect("http://192.0.2.1/elsewhere.wav")  # TEST-NET-1: never reached
    start = time.monotonic()
    status, answer = _ask_url(emu, f"http://127.0.0.1:{fault_server.server_port}/a.wav")
    assert status == 400
    param = answer["error"]["param"]
    assert "http://192.0.2.1/elsewhere.wav (a redirect from http://127.0.0.1" in param
    assert "not publicly reachable" in param
    assert time.monotonic() - start < 1  # refused, not tried


def test_loopback_redirects_are_followed(emu: EmulatorHandle, fault_server: FaultServer) -> None:
    target = emu.add_file(WAV, "a.wav", mime="audio/wav")
    fault_server.default = redirect(target)
    status, answer = _ask_url(emu, f"http://127.0.0.1:{fault_server.server_port}/a.wav")
    assert status == 200
    assert answer["usage"]["prompt_tokens_details"]["audio_tokens"] > 0


def test_a_trickled_fetch_ends_at_its_deadline(emu: EmulatorHandle, fault_server: FaultServer) -> None:
    emu.configure(url_fetch_timeout_s=1)
    fault_server.default = serve(WAV, bytes_per_s=200)  # 8 KB at 200 B/s: 40 s
    start = time.monotonic()
    status, answer = _ask_url(emu, f"http://127.0.0.1:{fault_server.server_port}/a.wav")
    assert status == 400
    assert "no whole answer within 1 s" in answer["error"]["param"]
    assert time.monotonic() - start < 2.5


def test_the_budget_follows_configure(emu: EmulatorHandle) -> None:
    emu.configure(max_bytes_in_flight=1234)
    assert emu._server.state.budget._max == 1234


def test_fetched_audio_counts_against_the_byte_budget() -> None:
    big = encode_silence(20.0, sample_rate=16000)  # 640 KB
    with run_emulator(options=EmulatorOptions(max_bytes_in_flight=1_000_000)) as emu:
        _fetch_in_turn(emu, big)


def _fetch_in_turn(emu: EmulatorHandle, big: bytes) -> None:
    url = emu.add_file(big, "big.wav", mime="audio/wav")
    budget = emu._server.state.budget
    status, _ = _ask_url(emu, url)
    assert status == 200
    assert budget.peak_bytes >= len(big)  # the fetched bytes were counted

    results: list[int] = []

    def one() -> None:
        results.append(_ask_url(emu, url)[0])

    budget.peak_bytes = 0
    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 6  # all answered in turn, none stuck
    assert budget.peak_bytes <= 1_000_000 + len(big) + 10_000  # the cap, plus the oldest request


# -- 17: the client's mistakes are 4xx ---------------------------------------------------------------------


def test_json_nested_too_deeply_is_400_not_500(
    emu: EmulatorHandle, capfd: pytest.CaptureFixture[str]
) -> None:
    deep = b'{"model": "%s", "messages": ' % MODEL.encode() + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, answer, _ = raw_post(emu.base_url + "/chat/completions", deep, {"api-key": emu.api_key})
    assert status == 400
    assert "nests JSON too deeply" in answer["error"]["param"]  # type: ignore[index]
    assert "Traceback" not in capfd.readouterr().err


def test_a_json_file_fetched_by_url_is_not_audio(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    url = mimo_emulator.add_file(json.dumps({"error": {"message": "not found"}}).encode(), "a.json")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=ask(audio_part(url), "q"))  # type: ignore[arg-type]
    param = str(caught.value.body["param"])  # type: ignore[index]
    assert "is JSON text, not audio" in param
    assert "not accepted" not in param
    assert "converted copy" not in param
