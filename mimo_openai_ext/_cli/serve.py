"""``mimo-audio serve``: run the MiMo emulator in the foreground until interrupted."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from types import FrameType

from ..emulator import DEFAULT_EMULATOR_API_KEY, EmulatorOptions, start_emulator
from ..emulator._faults import FaultSyntaxError, parse_fault
from . import CliUsageError
from ._types import fraction, non_negative_float, port, positive_int

__all__ = ["register"]

_DEFAULT_PORT = 8765


def _faults(value: str) -> tuple[str, ...]:

    names = tuple(v.strip() for v in value.split(",") if v.strip())
    try:
        for name in names:
            parse_fault(name)
    except FaultSyntaxError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return names


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run a local MiMo emulator (an OpenAI-compatible HTTP server) for offline use",
        description=(
            "Serve MiMo's chat API on loopback: real status codes and error bodies, audio "
            "probed for true usage numbers, streaming, and injectable faults. Point any "
            "openai client at the printed base URL."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=port, default=_DEFAULT_PORT, help=f"port (default: {_DEFAULT_PORT}; 0 = any free)"
    )
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--api-key", default=None, help="the key to accept (default: sk-mimo-emulator)")
    keys.add_argument("--any-key", action="store_true", help="accept any key except Token Plan (tp-) keys")
    parser.add_argument(
        "--latency-ms", type=non_negative_float, default=0.0, metavar="N", help="delay before every answer"
    )
    parser.add_argument(
        "--fault-rate", type=fraction, default=0.0, metavar="F", help="share of requests faulted (0..1)"
    )
    parser.add_argument(
        "--faults",
        type=_faults,
        default=None,
        metavar="LIST",
        help="faults to draw from (default: 429,500,503,reset)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for fault draws (repeatable runs)")
    parser.add_argument(
        "--rpm", type=positive_int, default=None, metavar="N", help="requests per minute per model"
    )
    parser.add_argument(
        "--answer-in-content",
        action="store_true",
        help="with thinking on, answer in content (default: as MiMo documents, an empty content "
        "and the answer in reasoning_content)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request to stderr")
    parser.set_defaults(func=_run)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _shown_key(args: argparse.Namespace, key: str | None) -> str:
    """The accepted key for the banner: the built-in test key in full, a chosen key masked."""

    if args.any_key or key is None:
        return "any key except tp-/ttp-"
    if key == DEFAULT_EMULATOR_API_KEY:
        return key
    kind = key.split("-", 1)[0] + "-" if "-" in key[:4] else ""
    return f"{kind}*** (the --api-key you gave)"


def _run(args: argparse.Namespace) -> int:

    options = EmulatorOptions(
        api_key=None if args.any_key else (args.api_key or DEFAULT_EMULATOR_API_KEY),
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        seed=args.seed,
        rpm=args.rpm,
        answer_in_content=args.answer_in_content,
        **({"faults": args.faults} if args.faults else {}),
    )
    try:
        handle = start_emulator(host=args.host, port=args.port, options=options, verbose=not args.quiet)
    except OSError as exc:
        raise CliUsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "pick another --port (0 picks a free one)"
        ) from None
    try:  # the banner first (stderr), then the base URL (stdout): a reader of the URL sees both
        print(f"MiMo emulator serving (api key: {_shown_key(args, handle.api_key)}); Ctrl-C to stop.",
              file=sys.stderr, flush=True)  # fmt: skip
        if not _is_loopback(args.host):
            print(
                f"mimo-audio: warning: --host {args.host} is not loopback: the emulator is reachable "
                "from other machines on the network; use --host 127.0.0.1 unless you mean to share it",
                file=sys.stderr,
                flush=True,
            )
        print(handle.base_url, flush=True)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _stop)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.close()
    return 0
