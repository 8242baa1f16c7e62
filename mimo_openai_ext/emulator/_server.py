"""HTTP plumbing on the standard library's ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive).

Each request's body is read once, strictly framed (``_body``), its bytes taken from a
shared byte budget as they arrive, and dropped as soon as it is parsed; audio fetched by
URL for the request is taken from the same budget (``_audio``). The request log keeps no
bodies. A body nested too deeply to parse is a 400, never a 500.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .._config import TOKEN_PLAN_KEY_PREFIXES, SpeechSpec
from ._audio import fetch_budget
from ._body import declared_length, read_body
from ._dialect import model_entry, model_listing, parse_json, validate_chat
from ._errors import ApiError
from ._faults import FAULT_HEADER, Fault, FaultSyntaxError
from ._options import RequestRecord
from ._reply import build_reply, completion_body, stream_chunks
from ._state import EmulatorState, Reservation
from ._tts import speech_body, speech_chunks, speech_model, speech_reply

__all__ = ["EmulatorServer"]

_CHAT = "/v1/chat/completions"
_MODELS = "/v1/models"
_FILES = "/files/"


class _Dropped(Exception):
    """The connection was dropped on purpose (the ``reset`` fault)."""


@dataclass
class _Exchange:
    """What the log will say about one request; filled in as it is handled."""

    time_s: float
    method: str
    path: str
    model: str | None = None
    fault: str | None = None
    body_bytes: int = 0
    stream: bool = False
    request_id: str | None = None
    audio_tokens: int = 0
    recorded: bool = field(default=False)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its state and can close idle keep-alive sockets."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        self.state = state
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        """A client hanging up mid-request is expected (a killed batch): stay quiet about it.

        Anything else still gets the standard traceback on stderr.
        """
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):  # reset, broken pipe, aborted
            if self.state.verbose:
                sys.stderr.write(f"mimo-emulator: client {client_address} went away ({type(exc).__name__})\n")
            return
        super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        """Wake handler threads parked on idle keep-alive connections so they end."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _parse(body: bytes | bytearray) -> dict[str, object]:
    """The chat body as JSON; nesting too deep for the parser is the client's error (400), not ours."""
    try:
        return parse_json(body)
    except RecursionError:
        raise ApiError(
            400, "the request body nests JSON too deeply to parse; a chat request is a few levels deep"
        ) from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "MiMoEmulator/1"
    timeout = 300
    server: EmulatorServer

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the request log (and ``verbose``) covers this

    def log_message(self, format: str, *args: object) -> None:
        if self.server.state.verbose:
            sys.stderr.write(f"mimo-emulator: {format % args}\n")

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # -- one request -------------------------------------------------------------------

    def _handle(self) -> None:
        path = urllib.parse.urlsplit(self.path).path.rstrip("/") or "/"
        ex = _Exchange(time.monotonic(), self.command, path)
        try:
            self._dispatch(ex)
        except ApiError as err:
            self._send_error(ex, err)
        except _Dropped:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
            self._record(ex, 0)
        except Exception as exc:  # a bug here must not look like a network failure
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            if not ex.recorded:
                self._send_error(ex, ApiError(500, f"MiMo emulator bug: {type(exc).__name__}: {exc}"))

    def _dispatch(self, ex: _Exchange) -> None:
        if ex.path.startswith(_FILES) and self.command == "GET":
            self._read_body(ex)
            self._serve_file(ex)
            return
        route = self._route(ex)
        state = self.server.state
        with state.budget.reservation() as held:
            body = self._read_body(ex, held)
            self._authorize()
            if route == "chat":
                payload = _parse(body)
                del body
                self._fault(ex, payload)
                token = fetch_budget.set(held)  # audio fetched by URL counts against it too
                try:
                    self._chat(ex, payload)
                finally:
                    fetch_budget.reset(token)
                return
            self._fault(ex, None)
        self._models(ex, route)

    def _route(self, ex: _Exchange) -> str:
        if ex.path == _CHAT:
            expected = "POST"
        elif ex.path == _MODELS or ex.path.startswith(_MODELS + "/"):
            expected = "GET"
        else:
            self._read_body(ex)
            raise ApiError(
                404, f"no endpoint {self.command} {ex.path}; MiMo serves POST {_CHAT} and GET {_MODELS}"
            )
        if self.command != expected:
            self._read_body(ex)
            raise ApiError(405, f"{ex.path} accepts {expected}, not {self.command}")
        return "chat" if ex.path == _CHAT else ex.path

    # -- body ----------------------------------------------------------------------------

    def _read_body(self, ex: _Exchange, held: Reservation | None = None) -> bytes | bytearray:
        """The body, its bytes taken from the budget as they arrive, under the upload deadline."""
        limit = self.server.state.options.max_body_bytes
        declared_length(self.headers, limit=limit)  # bad framing or too large: refused before a read
        with contextlib.ExitStack() as stack:
            if held is None:  # a body read only to be dropped (404, 405, files) still counts while read
                held = stack.enter_context(self.server.state.budget.reservation())
            take = held.take
            try:
                body = read_body(
                    self.rfile,
                    self.headers,
                    limit=limit,
                    take=lambda size, timeout_s: take(size, timeout_s=timeout_s),
                    settimeout=self.connection.settimeout,
                )
            finally:
                self.connection.settimeout(self.timeout)
        ex.body_bytes = len(body)
        return body

    # -- auth and faults ---------------------------------------------------------------------

    def _authorize(self) -> None:
        auth = self.headers.get("Authorization", "")
        key = (
            auth[7:].strip() if auth[:7].lower() == "bearer " else (self.headers.get("api-key") or "").strip()
        )
        expected = self.server.state.options.api_key
        if not key:
            raise ApiError(401, "no API key: send 'Authorization: Bearer KEY' or 'api-key: KEY'")
        if key.startswith(TOKEN_PLAN_KEY_PREFIXES):
            raise ApiError(
                401,
                "a Token Plan key (tp-...) was sent to a pay-as-you-go host; use it with "
                "https://token-plan-{cn,sgp,ams}.xiaomimimo.com/v1, or use an sk- key here",
            )
        if expected is not None and key != expected:
            raise ApiError(401, f"the API key {key[:6]}... is not valid for this host")

    def _fault(self, ex: _Exchange, payload: dict[str, object] | None) -> None:
        if payload is not None:
            model = payload.get("model")
            ex.model = model if isinstance(model, str) else None
            ex.stream = payload.get("stream") is True
        state = self.server.state
        options = state.options
        header = self.headers.get(FAULT_HEADER)
        try:
            fault = state.faults.from_header(header) if header else None
        except FaultSyntaxError as exc:
            raise ApiError(400, f"{FAULT_HEADER}: {exc}") from None
        if header is None:
            fault = state.faults.next_queued() or state.faults.draw(
                rate=options.fault_rate, names=options.faults, retry_after_s=options.retry_after_s
            )
        if fault is not None:
            self._inject(ex, fault)

    def _inject(self, ex: _Exchange, fault: Fault) -> None:
        ex.fault = fault.label
        if fault.delay_s:
            time.sleep(fault.delay_s)
        if fault.reset:
            self._record(ex, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raise _Dropped
        if fault.status is not None:
            headers = {} if fault.retry_after_s is None else {"Retry-After": f"{fault.retry_after_s:g}"}
            raise ApiError(fault.status, f"injected fault ({FAULT_HEADER}: {fault.label})", headers=headers)

    # -- endpoints -------------------------------------------------------------------------

    def _chat(self, ex: _Exchange, payload: dict[str, object]) -> None:
        state = self.server.state
        options = state.options
        if options.rpm is not None:
            wait_s = state.rates.admit(ex.model or "", rpm=options.rpm)
            if wait_s is not None:
                ex.fault = "rpm"
                retry = str(max(1, int(wait_s + 0.999)))
                raise ApiError(
                    429,
                    f"rate limit: {options.rpm} requests per minute for {ex.model}",
                    headers={} if options.retry_after_s is None else {"Retry-After": retry},
                )
        speech = speech_model(payload, options)
        if speech is not None:
            self._speak(ex, payload, *speech)
            return
        request = validate_chat(payload, options=state.hearing())
        cached, prefixes = state.cache.lookup(request.model.id, request.segments, ttl_s=options.cache_ttl_s)
        reply = build_reply(
            request,
            cached_tokens=cached,
            answer_in_content=options.answer_in_content,
            extra=options.extra_answer,
        )
        ex.request_id = reply.id
        ex.audio_tokens = sum(a.tokens for a in request.audios)
        if options.latency_ms > 0:
            time.sleep(options.latency_ms / 1000)
        state.cache.remember(prefixes)  # cached once answered: requests sent together all miss
        if request.stream:
            self._send_stream(ex, stream_chunks(reply, include_usage=request.include_usage))
        else:
            self._send_json(ex, 200, completion_body(reply))

    def _speak(self, ex: _Exchange, payload: dict[str, object], speech: SpeechSpec, model: str) -> None:
        """A speech model's request: the TTS dialect (``_tts``), real audio in the answer."""
        state = self.server.state
        options = state.options
        reply = speech_reply(payload, speech, model, options)
        state.remember_speech(reply.said)
        ex.request_id = reply.id
        if options.latency_ms > 0:
            time.sleep(options.latency_ms / 1000)
        if reply.stream:
            self._send_stream(ex, speech_chunks(reply))
        else:
            self._send_json(ex, 200, speech_body(reply))

    def _models(self, ex: _Exchange, route: str) -> None:
        options = self.server.state.options
        if route == _MODELS:
            self._send_json(ex, 200, model_listing(options))
            return
        ex.model = route[len(_MODELS) + 1 :]
        self._send_json(ex, 200, model_entry(ex.model, options))

    def _serve_file(self, ex: _Exchange) -> None:
        found = self.server.state.files.get(ex.path[len(_FILES) :])
        if found is None:
            raise ApiError(404, f"no file at {ex.path}")
        data, mime = found
        ex.recorded = True  # test files are not API traffic: kept out of the request log
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- writing ---------------------------------------------------------------------------

    def _record(self, ex: _Exchange, status: int) -> None:
        if ex.recorded:
            return
        ex.recorded = True
        state = self.server.state
        state.record(
            RequestRecord(
                ex.time_s,
                ex.method,
                ex.path,
                ex.model,
                status,
                ex.fault,
                ex.body_bytes,
                ex.stream,
                ex.request_id,
                ex.audio_tokens,
            )
        )
        if state.verbose:
            extra = f" fault={ex.fault}" if ex.fault else ""
            sys.stderr.write(f"mimo-emulator: {ex.method} {ex.path} {status} model={ex.model}{extra}\n")

    def _send_json(self, ex: _Exchange, status: int, body: object) -> None:
        self._send_bytes(ex, status, json.dumps(body).encode(), {})

    def _send_error(self, ex: _Exchange, err: ApiError) -> None:
        if err.close:
            self.close_connection = True
        self._send_bytes(ex, err.status, err.body(), err.headers)

    def _send_bytes(self, ex: _Exchange, status: int, data: bytes, headers: dict[str, str]) -> None:
        self._record(ex, status)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, ex: _Exchange, chunks: Iterable[dict[str, object]]) -> None:
        self._record(ex, 200)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
