"""Serving the proxy with uvicorn: in the foreground (the CLI) or on a background thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._checks import check_count, check_str, check_type
from .._exceptions import InvalidOptionError
from ._app import create_app
from ._options import ProxyOptions

__all__ = ["ProxyHandle", "bind", "serve_forever", "start_proxy"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: a free port); OSError if it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _server(options: ProxyOptions) -> Any:
    app = create_app(options)  # first: it says which extra is missing
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,  # ours says more, and never the key
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else str(host)
    return f"http://{shown}:{port}/v1"


class ProxyHandle:
    """A proxy running on a background thread (:func:`start_proxy`)."""

    def __init__(
        self, server: Any, thread: threading.Thread, sock: socket.socket, options: ProxyOptions
    ) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        self.options = options
        self.base_url: str = _base_url(sock)
        """Point any OpenAI client's base URL here."""

    def __str__(self) -> str:
        return self.base_url

    def close(self) -> None:
        """Stop serving (open streams get a few seconds to finish) and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()

    def __enter__(self) -> ProxyHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _checked(options: object, host: object, port: object) -> tuple[ProxyOptions, str, int]:
    check_type(options, ProxyOptions, option="options", expected="a ProxyOptions", none=True)
    check_str(host, option="host")
    check_count(port, option="port", minimum=0)
    if not isinstance(port, int) or port > 65535:
        raise InvalidOptionError(f"port={port!r}: a TCP port is 0 to 65535 (0: any free port)", option="port")
    chosen = options if isinstance(options, ProxyOptions) else ProxyOptions()
    chosen.check_host(str(host))
    return chosen, str(host), port


@contextmanager
def start_proxy(
    options: ProxyOptions | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[ProxyHandle]:
    """Run the proxy on a background thread for the ``with`` block; yields its :class:`ProxyHandle`.

    ``port=0`` picks a free port (``handle.base_url`` says which). Needs the ``proxy`` extra.
    """
    chosen, host, port = _checked(options, host, port)
    sock = bind(host, port)
    server = _server(chosen)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="mimo-proxy", daemon=True)
    thread.start()
    handle = ProxyHandle(server, thread, sock, chosen)
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the proxy's server thread stopped before it started serving")
            thread.join(0.01)
        yield handle
    finally:
        handle.close()


def serve_forever(sock: socket.socket, options: ProxyOptions) -> None:
    """Serve on ``sock`` in this thread until interrupted (Ctrl-C, SIGTERM): ``mimo-audio proxy``."""
    _server(options).run(sockets=[sock])
