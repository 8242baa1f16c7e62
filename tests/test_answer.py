"""Reading answers: content, the reasoning fallback, truncation warnings, to_dict."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from _emulator_support import MIMO_EXAMPLE_USAGE
from openai._models import construct_type
from openai.types.chat import ChatCompletion

from mimo_openai_ext import TruncatedAnswerWarning
from mimo_openai_ext._answer import Answer, read_answer, read_reasoning


def completion(content: str | None, reasoning: str | None = None, finish: str = "stop") -> ChatCompletion:
    message: dict[str, Any] = {"role": "assistant", "content": content, "tool_calls": None}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    # MiMo's own example shape: 32-hex id, content "" and the answer in reasoning_content.
    # Parsed the way the SDK parses responses (no validation: MiMo's finish reasons pass through).
    return construct_type(
        type_=ChatCompletion,
        value={
            "id": "550a678a6c2046a29128883eaaf849e7",
            "object": "chat.completion",
            "created": 1776850627,
            "model": "mimo-v2.6-flash",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
            "usage": MIMO_EXAMPLE_USAGE,
        },
    )


def test_content_wins_when_present() -> None:
    c = completion("It says good morning.", "thinking...")
    assert read_answer(c) == "It says good morning."
    assert read_reasoning(c) == "thinking..."


@pytest.mark.parametrize("content", ["", None, "  \n"])
def test_empty_content_falls_back_to_reasoning(content: str | None) -> None:
    c = completion(content, "Good morning. Could you tell me what the weather will be like today?")
    assert read_answer(c).startswith("Good morning.")
    answer = Answer.from_completion(c)
    assert answer.text_from_reasoning
    assert answer.text == answer.reasoning


def test_no_reasoning_at_all() -> None:
    c = completion("plain")
    assert read_reasoning(c) == ""
    assert not Answer.from_completion(c).text_from_reasoning


@pytest.mark.parametrize("finish", ["length", "repetition_truncation"])
def test_truncation_warns(finish: str) -> None:
    with pytest.warns(TruncatedAnswerWarning, match=finish):
        answer = Answer.from_completion(completion("cut sho", finish=finish))
    assert answer.truncated
    assert answer.finish_reason == finish


def test_truncation_warning_can_be_turned_off() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_answer(completion("cut", finish="length"), warn=False) == "cut"


def test_answer_carries_usage_and_serialises() -> None:
    answer = Answer.from_completion(completion("", "the answer"))
    assert answer.usage.audio_tokens == 25
    assert answer.usage.cached_tokens == 82
    assert answer.cost_usd is not None
    assert answer.cost_usd > 0
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["text"] == "the answer"
    assert data["usage"]["prompt_tokens"] == 86
    assert data["id"] == "550a678a6c2046a29128883eaaf849e7"
    assert data["estimate"] is None


def test_no_choices_reads_as_empty() -> None:
    c = completion("x")
    c.choices = []
    assert read_answer(c) == ""
    assert read_reasoning(c) == ""


GOOD_MORNING = "Good morning. Could you tell me what the weather will be like today?"


def _mimo_example_dict(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    """MiMo's own audio example response, as the plain JSON dict a raw HTTP call returns."""
    return {
        "id": "550a678a6c2046a29128883eaaf849e7",
        "object": "chat.completion",
        "created": 1776850627,
        "model": "mimo-v2.6-flash",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "tool_calls": None,
                    "reasoning_content": GOOD_MORNING,
                },
            }
        ],
        "usage": MIMO_EXAMPLE_USAGE,
    }


def test_plain_dicts_read_like_sdk_objects() -> None:
    raw = _mimo_example_dict("")
    assert read_answer(raw) == GOOD_MORNING
    assert read_reasoning(raw) == read_answer(raw)
    assert read_answer(_mimo_example_dict("It is sunny.")) == "It is sunny."
    assert read_answer({"choices": []}) == ""
    with pytest.warns(TruncatedAnswerWarning, match="after 17 completion tokens"):
        read_answer(_mimo_example_dict("It is", finish_reason="length"))
