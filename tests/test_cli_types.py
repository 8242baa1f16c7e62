"""The argparse value types shared by the ``mimo-audio`` subcommands."""

from __future__ import annotations

import argparse
import re

import pytest

from mimo_openai_ext._cli._types import fraction, positive_float, positive_int


def test_positive_int() -> None:
    assert positive_int("8") == 8
    with pytest.raises(argparse.ArgumentTypeError, match="must be at least 1, got 0"):
        positive_int("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected a whole number, got '2\.5'"):
        positive_int("2.5")


def test_positive_float() -> None:
    assert positive_float("2.5") == 2.5
    with pytest.raises(argparse.ArgumentTypeError, match="must be positive, got -3"):
        positive_float("-3")
    with pytest.raises(argparse.ArgumentTypeError, match="expected a number, got 'abc'"):
        positive_float("abc")


@pytest.mark.parametrize(("text", "value"), [("0", 0.0), ("0.25", 0.25), ("1", 1.0)])
def test_fraction_accepts_zero_to_one(text: str, value: float) -> None:
    assert fraction(text) == value


@pytest.mark.parametrize("text", ["-0.1", "1.5"])
def test_fraction_rejects_outside(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(f"must be between 0 and 1, got {text}")):
        fraction(text)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    for parse in (positive_float, fraction):
        with pytest.raises(argparse.ArgumentTypeError, match="finite"):
            parse(text)
