"""The ``mimo-audio`` command line. Library errors become CLI errors only here.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (taking the parsed ``argparse.Namespace``, returning an
exit code). Subcommand modules import the library lazily inside ``func`` and simply
raise: :func:`main` is the one boundary that turns a :class:`MimoAudioError` or a
:class:`CliUsageError` (exit 2), an ``openai`` API error or a server's answer that cannot be
believed (an invalid body, a stream cut short, the ``--timeout`` deadline: exit 1) and an
``OSError`` (a read-only folder, a full disk: exit 74) into one line on stderr, prints
warnings as ``mimo-audio: warning: ...``, and masks the API key in all of it. Standard
output writes a file name that is not UTF-8 back as its original bytes (``surrogateescape``).
It also adds the flag that fixes an error when the command has one (``--convert``,
``--split``, ``--allow-retired``), applies ``--allow-retired`` to the command's ``--model``,
and ends quietly with exit 141 when the reader of stdout goes away
(``mimo-audio ... | head -1``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from .._api_errors import api_error_detail, api_error_hint
from .._config import ENV_API_KEY
from .._exceptions import (
    AudioTooLargeError,
    DeadlineExceededError,
    InvalidResponseError,
    MimoAudioError,
    MissingAPIKeyError,
    UnsupportedAudioFormatError,
)
from .._models import allow_retired
from .._redact import mask as _mask  # the one masking rule, shared with the library's errors
from .._retry import refused_wait
from .._version import __version__

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_BROKEN_PIPE",
    "EXIT_OS_ERROR",
    "EXIT_USAGE",
    "CliUsageError",
    "describe_api_error",
    "main",
    "run",
]

EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_OS_ERROR = 74
"""sysexits' EX_IOERR: a file could not be read or written (a read-only folder, a full disk)."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a tool whose reader closed the pipe early."""

# One module per subcommand group, in the order shown by --help.
_SUBCOMMAND_MODULES = ("probe", "serve", "proxy", "ask", "transcribe", "speak", "fit", "batch", "doctor")
_COMMAND_MODULE = {
    "probe": "probe",
    "estimate": "probe",
    "serve": "serve",
    "proxy": "proxy",
    "ask": "ask",
    "transcribe": "transcribe",
    "speak": "speak",
    "fit": "fit",
    "split": "fit",
    "batch": "batch",
    "doctor": "doctor",
}
"""Which module registers each command: a run imports and registers only its own command's module."""


class CliUsageError(Exception):
    """A command-line mistake: printed as one line, exit 2."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with a known ``command``, only that command's module is imported and registered."""

    parser = argparse.ArgumentParser(
        prog="mimo-audio",
        description="Send audio to Xiaomi MiMo from the command line (probe, estimate, ask, ...).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    only = _COMMAND_MODULE.get(command or "")
    for name in (only,) if only else _SUBCOMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _secrets(args: argparse.Namespace) -> list[str]:

    found = [getattr(args, "api_key", None), os.environ.get(ENV_API_KEY)]
    return [s.strip() for s in found if s and len(s.strip()) >= 4]


def describe_api_error(exc: BaseException) -> str:
    """One line: status, MiMo's message and detail, what to do."""

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
    if status is None and _is_api_error(exc):
        unreachable = _connection_failure(exc)
        if unreachable:
            return unreachable
    refused = refused_wait(exc)  # a Retry-After too long to wait: say when to come back instead
    return f"{head}; {refused}" if refused else f"{head}; {api_error_hint(exc)}"


def _connection_failure(exc: BaseException) -> str | None:
    """For a connection error or timeout: the URL that failed, the cause, and the options to check."""
    import openai

    if not isinstance(exc, openai.APIConnectionError):
        return None
    url = str(getattr(getattr(exc, "request", None), "url", "") or "")
    base = url.rsplit("/chat/completions", 1)[0] if url else "the server"
    cause = exc.__cause__ or exc.__context__
    why = f" ({type(cause).__name__}: {cause})" if cause is not None and str(cause) else ""
    if isinstance(exc, openai.APITimeoutError):
        return (
            f"timed out waiting for {base}{why}; retry later, or check --base-url / "
            "$MIMO_BASE_URL points at a MiMo-compatible server"
        )
    return f"could not connect to {base}{why}; check --base-url / $MIMO_BASE_URL and the network"


def _cli_hint(exc: BaseException, args: argparse.Namespace) -> str:
    """The command-line flag that fixes a library error, when this command has one."""

    command = getattr(args, "command", None)
    convertible = getattr(exc, "convertible", True) and not getattr(exc, "found", "").startswith(
        ("a ", "an ")
    )  # not an image, text, a file without sound ...
    if (
        isinstance(exc, UnsupportedAudioFormatError)
        and getattr(args, "convert", None) is False
        and convertible
        and "--convert" not in str(exc)  # the library's message already names the flag
    ):
        return "; or add --convert to this command to convert it before sending"
    if isinstance(exc, AudioTooLargeError) and command == "ask" and not getattr(args, "split", False):
        return "; or add --split to this command to ask about it in chunks"
    if isinstance(exc, MissingAPIKeyError) and hasattr(args, "offline"):
        return f": `mimo-audio {command} ... --offline`"
    return ""


def _is_api_error(exc: BaseException) -> bool:
    openai = sys.modules.get("openai")  # never imported here just to test an exception
    return openai is not None and isinstance(exc, openai.APIError)


def _allowance(args: argparse.Namespace) -> contextlib.AbstractContextManager[object]:
    """``--allow-retired``: the named ``--model`` is sent even if the table says it retired."""
    model = getattr(args, "model", None)
    if getattr(args, "allow_retired", False) and isinstance(model, str):
        return allow_retired(model)
    return contextlib.nullcontext()


def _run_command(args: argparse.Namespace) -> int:
    secrets = _secrets(args)

    def say(line: str) -> None:
        print(_mask(f"mimo-audio: {line}", secrets), file=sys.stderr)

    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        say(f"warning: {message}")

    with warnings.catch_warnings():
        warnings.showwarning = show
        try:
            with _allowance(args):
                code: int = args.func(args)
        except (CliUsageError, MimoAudioError) as exc:
            say(f"error: {exc}{_cli_hint(exc, args)}")
            return _exit_code(exc)
        except BrokenPipeError:
            raise  # the reader went away: main() ends quietly
        except OSError as exc:
            say(f"error: {describe_os_error(exc)}")
            return EXIT_OS_ERROR
        except Exception as exc:
            if not _is_api_error(exc):
                raise
            say(f"error: {describe_api_error(exc)}")
            return EXIT_API_ERROR
    return code


def _exit_code(exc: Exception) -> int:
    """2 for a usage mistake; 1 when the server's answer failed; 74 when a file could not be written."""
    if isinstance(exc, (InvalidResponseError, DeadlineExceededError)):
        return EXIT_API_ERROR
    if isinstance(exc, MimoAudioError) and isinstance(exc.__cause__, OSError):
        return EXIT_OS_ERROR
    return EXIT_USAGE


def describe_os_error(exc: OSError) -> str:
    """One line for an ``OSError``: the file, what went wrong."""
    name = exc.filename if exc.filename is not None else ""
    what = exc.strerror or str(exc) or type(exc).__name__
    return f"{os.fsdecode(name)}: {what}" if name else what


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse; a stray argument is reported with the subcommand's usage, not the top-level one."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words else None)  # a typo or --help: every command
    args, extras = parser.parse_known_args(argv)
    rest_into = getattr(args, "rest_into", None)  # ask: positionals after an option (FILE --json Q)
    if extras and rest_into and not any(e.startswith("-") and e != "-" for e in extras):
        getattr(args, rest_into).extend(extras)
        extras = []
    if extras:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        owner = sub.choices.get(getattr(args, "command", None) or "", parser)
        owner.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _quiet_broken_pipe() -> int:
    """The reader went away (``| head -1``): silence stdout and exit like a SIGPIPE'd tool.

    The recipe from Python's ``signal`` docs: point stdout at devnull so the interpreter's
    final flush does not raise again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests, IDEs)
        pass
    return EXIT_BROKEN_PIPE


def _names_as_bytes() -> None:
    """Print a file name that is not UTF-8 as the bytes it has on disk, not a crash."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if callable(reconfigure):
        with contextlib.suppress(ValueError, OSError):  # a stream that cannot change stays as it is
            reconfigure(errors="surrogateescape")


def main(argv: Sequence[str] | None = None) -> int:
    _names_as_bytes()
    args = _parse(argv)
    try:
        code = _run_command(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the try, not at exit
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    return code


def run() -> None:
    sys.exit(main())
