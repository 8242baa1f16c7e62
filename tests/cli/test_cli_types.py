"""The argparse value types shared by the ``mimo-audio`` subcommands."""

from __future__ import annotations

import argparse
import re

import pytest

from mimo_openai_ext._cli._types import (
    fraction,
    model_id,
    non_negative_float,
    port,
    positive_float,
    positive_int,
)


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


def test_port() -> None:
    assert port("0") == 0
    assert port("65535") == 65535
    for bad in ("65536", "99999", "-1"):
        with pytest.raises(argparse.ArgumentTypeError, match="a port is 0 to 65535"):
            port(bad)
    with pytest.raises(argparse.ArgumentTypeError, match="expected a whole number"):
        port("http")


def test_non_negative_float() -> None:
    assert non_negative_float("0") == 0.0
    assert non_negative_float("12.5") == 12.5
    with pytest.raises(argparse.ArgumentTypeError, match="must be 0 or more, got -5"):
        non_negative_float("-5")
    with pytest.raises(argparse.ArgumentTypeError, match="finite"):
        non_negative_float("inf")


def test_model_id() -> None:
    assert model_id(" mimo-v2.6-flash ") == "mimo-v2.6-flash"
    for bad in ("", "   "):
        with pytest.raises(argparse.ArgumentTypeError, match="the model id is empty"):
            model_id(bad)
