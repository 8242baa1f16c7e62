"""A loopback stub whose error bodies repeat the API key it was sent (as a proxy may).

``key_echo`` (a pytest fixture; import it into a test module) starts one
``ThreadingHTTPServer`` on 127.0.0.1 for the module and returns ``base_url(status,
mode="json")``: every request to ``http://127.0.0.1:PORT/<mode>/<status>/v1/...``
answers ``status`` with a body that echoes the key, whole and as an 8-character
prefix. ``mode="json"`` sends MiMo's ``{"error": {...}}`` shape (the key in message,
param and a nested list); ``mode="text"`` a plain-text body. ``.requests`` counts hits.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SECRET = "sk-SECRETKEY123456789abcdef"
"""The key tests send; what the stub echoes back."""


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.requests += 1  # type: ignore[attr-defined]
        _, mode, status, *_ = self.path.split("/")
        auth = self.headers.get("authorization", "")
        key = auth.split()[-1] if auth else ""
        if mode == "text":
            body = f"bad key: {auth} ({key[:8]}...)".encode()
            kind = "text/plain"
        else:
            error = {
                "code": status,
                "message": f"Invalid API Key {auth}",
                "param": f"key {key[:8]}... is not valid",
                "type": "",
                "seen": [{"authorization": auth}],
            }
            body = json.dumps({"error": error}).encode()
            kind = "application/json"
        self.send_response(int(status))
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class KeyEcho:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server

    def base_url(self, status: int, mode: str = "json") -> str:
        return f"http://127.0.0.1:{self._server.server_port}/{mode}/{status}/v1"

    @property
    def requests(self) -> int:
        count: int = self._server.requests  # type: ignore[attr-defined]
        return count


@pytest.fixture(scope="module")
def key_echo() -> Iterator[KeyEcho]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield KeyEcho(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def leaks(text: str) -> bool:
    """Whether ``text`` holds the key or any 6+ character leading piece of it."""
    return SECRET[:6] in text
