"""argparse value types shared by the ``mimo-audio`` subcommands (``type=positive_int``, ...).

Each turns the text of one option into a number or raises ``ArgumentTypeError``, which
argparse prints as a usage error (exit 2) naming the option.
"""

from __future__ import annotations

import argparse
import math
from typing import TypeVar

from .._config import DEFAULT_MODEL

__all__ = ["fraction", "model_id", "non_negative_float", "port", "positive_float", "positive_int"]

_N = TypeVar("_N", int, float)


def _number(kind: type[_N], text: str) -> _N:
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1 (``--concurrency``, ``--rpm``, ``--max-bytes``, ...)."""
    value = _number(int, text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A number > 0 (``--max-duration`` seconds)."""
    value = _number(float, text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A number >= 0 (``--latency-ms``)."""
    value = _number(float, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def port(text: str) -> int:
    """A TCP port, 0 to 65535 (0 = any free port)."""
    value = _number(int, text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0 picks a free one), got {value}")
    return value


def model_id(text: str) -> str:
    """A non-empty model id (``--model``), without surrounding spaces."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError(f"the model id is empty: give one, e.g. --model {DEFAULT_MODEL}")
    return value


def fraction(text: str) -> float:
    """A number from 0 to 1 (``--fault-rate``)."""
    value = _number(float, text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value
