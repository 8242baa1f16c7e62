"""The ``mimo-audio`` command line. Library errors become CLI errors only here.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (taking the parsed ``argparse.Namespace``, returning an
exit code). Subcommand modules import the library lazily inside ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._exceptions import MimoAudioError

__all__ = ["main"]

# One module per subcommand group, in the order shown by --help.
_SUBCOMMAND_MODULES = ("probe", "serve", "ask", "fit", "batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimo-audio",
        description="Send audio to Xiaomi MiMo from the command line (probe, estimate, ask, ...).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue  # not written yet
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except MimoAudioError as exc:
        print(f"mimo-audio: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def run() -> None:
    sys.exit(main())
