"""Misbehaving servers of our own, in one place: every way a MiMo-compatible server can fail.

``FaultServer`` is a ``ThreadingHTTPServer`` on 127.0.0.1 that answers each
``POST .../chat/completions`` with the next scripted ``Answer`` (``server.queue(...)``),
or with its ``default``. The scenarios a test can script:

* ``completion(...)`` / ``json_body(obj)`` / ``raw(bytes, content_type=...)``: a 200 that is,
  or is not, a chat completion (``{"error": ...}``, no or empty ``choices``, HTML, ...);
* ``sse(events, done=True)``: an event stream of the given ``data:`` payloads (dicts or raw
  strings), optionally without ``[DONE]``; ``stream_of(text, finish=..., usage=...)`` a
  well-formed one (or one cut before its ``finish_reason``);
* ``status(429, headers={"Retry-After": "86400"})``: an error status with MiMo's body;
* ``black_hole()``: read the request, never answer (until the server closes);
* ``trickle(answer, bytes_per_s=1)``: send a good answer one byte at a time;
* ``serve(data, bytes_per_s=...)`` / ``redirect(location)``: a ``GET`` answered with a file
  (maybe trickled) or a redirect, for audio the emulator fetches by URL;
* ``echo_key_mid_stream()``: one chunk, then an error event repeating the caller's key;
  ``echo_key(code=200, broken=False)``: a body repeating it.

``server.requests`` counts the requests, ``server.times`` keeps when each arrived.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mimo_openai_ext import DEFAULT_MODEL

__all__ = [
    "Answer",
    "FaultServer",
    "black_hole",
    "completion",
    "echo_key",
    "echo_key_mid_stream",
    "json_body",
    "raw",
    "redirect",
    "serve",
    "serve_faults",
    "sse",
    "status",
    "stream_of",
    "trickle",
]

Answer = Callable[["_Handler"], None]
"""Writes one whole answer (status line, headers, body) to the handler's socket."""

MODEL = DEFAULT_MODEL
USAGE: dict[str, Any] = {
    "prompt_tokens": 20,
    "completion_tokens": 5,
    "total_tokens": 25,
    "prompt_tokens_details": {"audio_tokens": 7, "cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultServer

    def do_POST(self) -> None:
        self.body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.arrived()
        self.server.next_answer()(self)

    def do_GET(self) -> None:
        self.body = b""
        self.server.next_answer()(self)

    def log_message(self, *args: object) -> None:
        pass

    @property
    def auth(self) -> str:
        return self.headers.get("authorization", "")

    def head(self, code: int, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def send(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.head(code, {"content-type": content_type, "content-length": str(len(body)), **(headers or {})})
        self.wfile.write(body)


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.default: Answer = completion("ok")
        self._queue: deque[Answer] = deque()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.times: list[float] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1"

    @property
    def requests(self) -> int:
        return len(self.times)

    def queue(self, *answers: Answer) -> None:
        """The next requests get these answers, in order; then the ``default``."""
        with self._lock:
            self._queue.extend(answers)

    def arrived(self) -> None:
        with self._lock:
            self.times.append(time.monotonic())

    def next_answer(self) -> Answer:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default


# -- answers --------------------------------------------------------------------------------


def raw(body: bytes, *, code: int = 200, content_type: str = "application/json") -> Answer:
    return lambda h: h.send(code, body, content_type)


def json_body(value: object, *, code: int = 200) -> Answer:
    return raw(json.dumps(value).encode(), code=code)


def completion(text: str, *, finish: str | None = "stop", usage: dict[str, Any] | None = USAGE) -> Answer:
    """A well-formed chat completion answering ``text``."""
    body: dict[str, Any] = {
        "id": "fault-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": text}}],
    }
    if usage is not None:
        body["usage"] = usage
    return json_body(body)


def status(code: int, *, headers: dict[str, str] | None = None) -> Answer:
    error = {"error": {"code": str(code), "message": "injected", "param": f"status {code}", "type": ""}}
    body = json.dumps(error).encode()
    return lambda h: h.send(code, body, "application/json", headers)


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "fault-s", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
            "choices": choices, **extra}  # fmt: skip


def sse(events: Sequence[object], *, done: bool = True, close: bool = True) -> Answer:
    """An event stream of ``data:`` events (dicts as JSON, strings as they are), then maybe ``[DONE]``.

    Without ``[DONE]`` the connection is closed after the last event (a stream cut short).
    """

    def answer(h: _Handler) -> None:
        h.head(200, {"content-type": "text/event-stream", "connection": "close"})
        for event in events:
            data = event if isinstance(event, str) else json.dumps(event)
            h.wfile.write(f"data: {data}\n\n".encode())
            h.wfile.flush()
        if done:
            h.wfile.write(b"data: [DONE]\n\n")
        h.close_connection = close

    return answer


def stream_of(
    text: str, *, finish: str | None = "stop", usage: dict[str, Any] | None = USAGE, done: bool = True
) -> Answer:
    """A streamed answer of ``text`` in two pieces; ``finish=None`` leaves out the finish chunk."""
    half = len(text) // 2
    events: list[object] = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": text[:half]}), chunk({"content": text[half:]})]
    if finish is not None:
        events.append(chunk({}, finish))
    if usage is not None:
        events.append(chunk(None, usage=usage))
    return sse(events, done=done)


def black_hole() -> Answer:
    """Take the request and never answer (until the server stops)."""
    return lambda h: h.server.stopping.wait(120)


def trickle(
    text: str = "ok", *, bytes_per_s: float = 1.0, stream: bool = False, head_events: int = 0
) -> Answer:
    """A good answer (a completion, or a stream when ``stream``), sent one byte at a time.

    ``head_events`` stream events go out at once first (a stream that starts well, then crawls).
    """

    def answer(h: _Handler) -> None:
        if stream:
            payload = (
                b"".join(
                    f"data: {json.dumps(c)}\n\n".encode()
                    for c in (chunk({"content": text}), chunk({}, "stop"), chunk(None, usage=USAGE))
                )
                + b"data: [DONE]\n\n"
            )
            h.head(200, {"content-type": "text/event-stream", "connection": "close"})
        else:
            body = {"id": "t", "object": "chat.completion", "created": 1, "model": MODEL, "usage": USAGE,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}]}  # fmt: skip
            payload = json.dumps(body).encode()
            h.head(200, {"content-type": "application/json", "content-length": str(len(payload))})
        head = 0
        for _ in range(head_events):
            head = payload.index(b"\n\n", head) + 2
        h.wfile.write(payload[:head])
        h.wfile.flush()
        for i in range(head, len(payload)):
            if h.server.stopping.wait(1 / bytes_per_s):
                return
            try:
                h.wfile.write(payload[i : i + 1])
                h.wfile.flush()
            except OSError:  # the client gave up: what a deadline should make it do
                return
        h.close_connection = True

    return answer


def echo_key_mid_stream(*, first: bool = True) -> Answer:
    """A stream (one good chunk when ``first``) and then an error event repeating the caller's key."""

    def answer(h: _Handler) -> None:
        key = h.auth.split()[-1] if h.auth else ""
        error = {"error": {"message": f"Invalid API Key {h.auth}", "param": f"key {key[:8]}...",
                           "code": "401", "type": "", "seen": [h.auth]}}  # fmt: skip
        events: list[object] = [chunk({"content": "partial "})] if first else []
        sse([*events, error], done=False)(h)

    return answer


def echo_key(*, code: int = 200, broken: bool = False) -> Answer:
    """An answer (``code``) whose body repeats the caller's key: ``{"error": ...}``, or broken JSON."""

    def answer(h: _Handler) -> None:
        text = json.dumps({"error": {"message": f"Invalid API Key {h.auth}", "seen": [h.auth]}})
        h.send(code, (text[:-3] if broken else text).encode(), "application/json")

    return answer


def redirect(location: str, *, code: int = 302) -> Answer:
    """A redirect to ``location`` (for URL audio fetched by the emulator)."""
    return lambda h: h.send(code, b"", "text/plain", {"location": location})


def serve(data: bytes, *, content_type: str = "audio/wav", bytes_per_s: float | None = None) -> Answer:
    """A file's bytes (``GET``), all at once or trickled at ``bytes_per_s``."""

    def answer(h: _Handler) -> None:
        if bytes_per_s is None:
            h.send(200, data, content_type)
            return
        h.head(200, {"content-type": content_type, "content-length": str(len(data))})
        for i in range(len(data)):
            if h.server.stopping.wait(1 / bytes_per_s):
                return
            try:
                h.wfile.write(data[i : i + 1])
                h.wfile.flush()
            except OSError:
                return

    return answer


@contextlib.contextmanager
def serve_faults() -> Iterator[FaultServer]:
    """A running ``FaultServer`` for the ``with`` block (the ``fault_server`` fixture uses it)."""
    server = FaultServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
