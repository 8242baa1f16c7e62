"""Starting an emulator: ``run_emulator()`` (a context manager) and ``EmulatorHandle``."""

from __future__ import annotations

import dataclasses
import secrets
import threading
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._checks import check_bool, check_count, check_str, check_type
from .._config import DEFAULT_LIMITS, Limits, ModelSpec
from .._twins import same_signature
from ._faults import parse_fault
from ._options import DEFAULT_EMULATOR_API_KEY, FAULT_NAMES, EmulatorOptions, RequestRecord
from ._server import EmulatorServer
from ._state import EmulatorState

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI


__all__ = ["EmulatorHandle", "run_emulator", "start_emulator"]


class EmulatorHandle:
    """A running emulator: where it is, how it behaves, and what it has seen."""

    def __init__(self, server: EmulatorServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host: str = str(host)
        self.port: int = int(port)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url: str = f"http://{shown}:{self.port}/v1"
        """Pass as ``base_url`` to ``openai.OpenAI``."""

    def __str__(self) -> str:
        """The base URL, so ``OpenAI(base_url=str(emu))`` and f-strings read naturally."""
        return self.base_url

    @property
    def api_key(self) -> str:
        """A key this emulator accepts."""
        return self._server.state.options.api_key or DEFAULT_EMULATOR_API_KEY

    @property
    def options(self) -> EmulatorOptions:
        return self._server.state.options

    @property
    def request_log(self) -> list[RequestRecord]:
        """Every request so far, faulted ones included (the live list; no bodies kept)."""
        return self._server.state.log

    def completions(self) -> list[RequestRecord]:
        """The log's ``POST /v1/chat/completions`` records (attempts on the wire)."""
        return [r for r in self.request_log if r.path.endswith("/chat/completions")]

    def configure(self, **changes: Any) -> EmulatorOptions:
        """Change options of the running emulator (``fault_rate=``, ``rpm=``, ...)."""
        options = dataclasses.replace(self._server.state.options, **changes)
        state = self._server.state
        state.options = options
        if "seed" in changes:
            state.faults.reseed(options.seed)
        return options

    def fail_next(self, *faults: str) -> None:
        """Answer the next requests with these faults, in order (``"429; retry-after=1"``, ``"reset"``)."""
        self._server.state.faults.push([parse_fault(f) for f in faults])

    def add_file(self, data: bytes, name: str, *, mime: str = "application/octet-stream") -> str:
        """Serve ``data`` at a loopback URL (for URL audio inputs); returns the URL."""
        key = f"{secrets.token_hex(8)}/{urllib.parse.quote(name)}"
        self._server.state.files[key] = (bytes(data), mime)
        return self.base_url.removesuffix("/v1") + "/files/" + key

    def reset(self) -> None:
        """Back to the starting options; clear the log, cache, rate window and fault queue."""
        self._server.state.reset()

    def client(self, **kwargs: Any) -> OpenAI:
        """An ``openai.OpenAI`` pointed here (keyword arguments go to its constructor)."""
        from openai import OpenAI

        kwargs.setdefault("api_key", self.api_key)
        return OpenAI(base_url=self.base_url, **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` pointed here."""
        from openai import AsyncOpenAI

        kwargs.setdefault("api_key", self.api_key)
        return AsyncOpenAI(base_url=self.base_url, **kwargs)

    def close(self) -> None:
        """Stop serving and wake idle keep-alive connections. Idempotent."""
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<EmulatorHandle {self.base_url}>"


def start_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = DEFAULT_EMULATOR_API_KEY,
    latency_ms: float = 0.0,
    fault_rate: float = 0.0,
    faults: Sequence[str] = FAULT_NAMES,
    seed: int | None = None,
    rpm: int | None = None,
    answer_in_content: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    models: Mapping[str, ModelSpec] | None = None,
    verbose: bool = False,
    options: EmulatorOptions | None = None,
) -> EmulatorHandle:
    """Start an emulator in a background thread; call ``.close()`` (or use ``run_emulator``).

    ``port=0`` picks a free port. ``options`` (an ``EmulatorOptions``) replaces the
    individual keyword options when given.
    """
    check_str(host, option="host")
    check_count(port, option="port", minimum=0)
    check_bool(verbose, option="verbose")
    check_type(options, EmulatorOptions, option="options", expected="an EmulatorOptions", none=True)
    if options is None:
        check_type(faults, (tuple, list), option="faults", expected="a tuple of fault names")
        options = EmulatorOptions(
            api_key=api_key,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            faults=tuple(faults),
            seed=seed,
            rpm=rpm,
            answer_in_content=answer_in_content,
            limits=limits,
            models=models,
        )
    server = EmulatorServer((host, port), EmulatorState(options, verbose=verbose))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"mimo-emulator-{port}", daemon=True
    )
    thread.start()
    return EmulatorHandle(server, thread)


@same_signature(start_emulator)
@contextmanager
def run_emulator(**options: Any) -> Iterator[EmulatorHandle]:
    """Run a MiMo emulator on loopback for the ``with`` block; yields its handle.

    Takes :func:`start_emulator`'s options.

    >>> with run_emulator() as emu:                                   # doctest: +SKIP
    ...     client = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key)
    """
    handle = start_emulator(**options)
    try:
        yield handle
    finally:
        handle.close()
