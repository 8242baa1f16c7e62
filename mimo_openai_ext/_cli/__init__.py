"""The ``mimo-audio`` command line. Library errors become CLI errors only here.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (taking the parsed ``argparse.Namespace``, returning an
exit code). Subcommand modules import the library lazily inside ``func`` and simply
raise: :func:`main` is the one boundary that turns a :class:`MimoAudioError`, a
:class:`CliUsageError` (exit 2) or an ``openai`` API error (exit 1) into one line on
stderr, prints warnings as ``mimo-audio: warning: ...``, and masks the API key in all of it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from .._exceptions import MimoAudioError

__all__ = ["EXIT_API_ERROR", "EXIT_USAGE", "CliUsageError", "describe_api_error", "main", "run"]

EXIT_API_ERROR = 1
EXIT_USAGE = 2

# One module per subcommand group, in the order shown by --help.
_SUBCOMMAND_MODULES = ("probe", "serve", "ask", "fit", "batch")


class CliUsageError(Exception):
    """A command-line mistake: printed as one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimo-audio",
        description="Send audio to Xiaomi MiMo from the command line (probe, estimate, ask, ...).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _SUBCOMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _secrets(args: argparse.Namespace) -> list[str]:
    from .._config import ENV_API_KEY

    found = [getattr(args, "api_key", None), os.environ.get(ENV_API_KEY)]
    return [s.strip() for s in found if s and len(s.strip()) >= 4]


def _mask(text: str, secrets: list[str]) -> str:
    """Replace each key, and any leading piece of it past its kind prefix, with ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
        kind = secret.split("-", 1)[0] + "-" if "-" in secret[:4] else ""
        for length in range(len(secret) - 1, max(len(kind) + 3, 6) - 1, -1):
            if secret[:length] in text:
                text = text.replace(secret[:length], kind + "***")
    return text


def describe_api_error(exc: BaseException) -> str:
    """One line: status, MiMo's message and detail, what to do."""
    from .._retry import api_error_detail, api_error_hint

    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(status, int):
        head = f"HTTP {status}" + (f" {message}" if isinstance(message, str) and message else "")
    else:
        head = str(getattr(exc, "message", "") or type(exc).__name__).rstrip(".")
    detail = api_error_detail(exc)
    if detail and detail != message:
        head += f": {detail}"
    return f"{head}; {api_error_hint(exc)}"


def _is_api_error(exc: BaseException) -> bool:
    openai = sys.modules.get("openai")  # never imported here just to test an exception
    return openai is not None and isinstance(exc, openai.APIError)


def _run_command(args: argparse.Namespace) -> int:
    secrets = _secrets(args)

    def say(line: str) -> None:
        print(_mask(f"mimo-audio: {line}", secrets), file=sys.stderr)

    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        say(f"warning: {message}")

    with warnings.catch_warnings():
        warnings.showwarning = show
        try:
            code: int = args.func(args)
        except (CliUsageError, MimoAudioError) as exc:
            say(f"error: {exc}")
            return EXIT_USAGE
        except Exception as exc:
            if not _is_api_error(exc):
                raise
            say(f"error: {describe_api_error(exc)}")
            return EXIT_API_ERROR
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run_command(args)
    except KeyboardInterrupt:
        return 130


def run() -> None:
    sys.exit(main())
