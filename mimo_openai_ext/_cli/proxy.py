"""``mimo-audio proxy``: a local OpenAI-compatible endpoint that rewrites requests into MiMo's dialect."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from .._adapter._rules import AdapterOptions
from .._config import DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL
from .._proxy._options import DEFAULT_PROXY_PORT, ProxyOptions, is_loopback
from .._proxy._server import bind, serve_forever
from ..emulator import run_emulator
from . import CliUsageError
from ._types import port, positive_int

__all__ = ["register"]

ENV_PROXY_KEY = "MIMO_PROXY_KEY"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "proxy",
        help="serve MiMo as a local OpenAI-compatible endpoint that fixes what other tools send",
        description=(
            "Forward OpenAI-style requests to MiMo, rewritten into its dialect: OpenAI-shaped audio "
            "(raw base64 + format) becomes a data URI whose MIME comes from the bytes, max_tokens becomes "
            "max_completion_tokens, /audio/transcriptions and /audio/speech are served by our shims (MiMo "
            "has neither), and an answer only "
            "reasoning_content holds is copied into content. Point any tool's OpenAI base URL at the "
            "printed URL. Needs the proxy extra: pip install 'mimo-openai-ext[proxy]'."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PROXY_PORT,
        help=f"port (default: {DEFAULT_PROXY_PORT}; 0 = any free)",
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help=f"MiMo's base URL (default: ${ENV_BASE_URL}, else {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"the MiMo key sent upstream (default: ${ENV_API_KEY}; without one, each client's own "
        "Authorization is passed on)",
    )
    parser.add_argument(
        "--proxy-key",
        metavar="KEY",
        help=f"a key clients must present as their API key (default: ${ENV_PROXY_KEY}); required to "
        "bind anything but loopback",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="forward to a MiMo emulator started in-process (no key, no network)",
    )
    parser.add_argument(
        "--keep-content",
        action="store_true",
        help="leave answers as MiMo sends them (do not copy reasoning_content into an empty content)",
    )
    parser.add_argument(
        "--max-body-mb",
        type=positive_int,
        default=200,
        metavar="N",
        help="refuse request bodies over N MB before reading them (default: 200)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    parser.set_defaults(func=_run)


def _log_to_stderr(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mimo-audio proxy: %(message)s"))
    for name, level in (
        ("mimo_openai_ext.proxy", logging.INFO),
        ("mimo_openai_ext.adapter", logging.WARNING),
    ):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING if quiet else level)


def _options(args: argparse.Namespace, stack: contextlib.ExitStack) -> ProxyOptions:
    proxy_key = args.proxy_key or os.environ.get(ENV_PROXY_KEY) or None
    adapter = AdapterOptions(reasoning_as_content=not args.keep_content)
    common = {"proxy_key": proxy_key, "adapter": adapter, "max_body_bytes": args.max_body_mb * 1_000_000}
    if args.offline:
        if args.upstream or args.api_key:
            raise CliUsageError("--offline forwards to a local emulator: drop --upstream / --api-key")
        emulator = stack.enter_context(run_emulator())
        return ProxyOptions(upstream=emulator.base_url, api_key=emulator.api_key, **common)
    upstream = args.upstream or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    api_key = args.api_key or os.environ.get(ENV_API_KEY) or None
    return ProxyOptions(upstream=upstream, api_key=api_key, **common)


def _run(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        options = _options(args, stack)
        options.check_host(args.host)
        try:
            sock = bind(args.host, args.port)
        except OSError as exc:
            raise CliUsageError(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                "pick another --port (0 picks a free one)"
            ) from None
        stack.callback(sock.close)
        _log_to_stderr(args.quiet)
        host, bound = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        key_from = "the proxy's key" if options.api_key else "each client's Authorization"
        guard = "clients must present --proxy-key" if options.proxy_key else "no proxy key (loopback only)"
        print(
            f"MiMo proxy forwarding to {options.upstream} with {key_from}; {guard}; Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
        if not is_loopback(args.host):
            print(
                f"mimo-audio: warning: --host {args.host} is reachable from other machines; only callers "
                "with the proxy key are served",
                file=sys.stderr,
                flush=True,
            )
        print(f"http://{shown}:{bound}/v1", flush=True)
        serve_forever(sock, options)
    return 0
