"""The emulator follows today's MiMo: retired ids, reasoning_effort, max_tokens, and the switches
that let it behave the way a live MiMo might (``format`` keys, raw base64, ``Retry-After``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import openai
import pytest
from _audio import encode_tone
from _emulator_support import ask, audio_part, uri

from mimo_openai_ext import DEFAULT_MODEL, MODELS, read_answer
from mimo_openai_ext.config import Retirement
from mimo_openai_ext.emulator import EmulatorHandle

pytestmark = pytest.mark.sdk_retries(0)

WAV = encode_tone(1.0)


def error_of(exc: pytest.ExceptionInfo[openai.APIStatusError]) -> dict[str, Any]:
    body = exc.value.body
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize(
    ("model", "date", "successor"),
    [
        ("mimo-v2.5", "2026-10-21", "mimo-v2.6-flash"),
        ("mimo-v2.5-pro", "2026-10-21", "mimo-v2.6-pro"),
        ("mimo-v2-omni", "2026-06-30", "mimo-v2.6-flash"),
    ],
)
def test_a_retired_id_gets_mimos_error_shape_with_date_and_successor(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, model: str, date: str, successor: str
) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model=model, messages=ask(audio_part(WAV), "q"))
    error = error_of(exc)
    assert (error["code"], error["message"], error["type"]) == ("400", "Param Incorrect", "")
    assert error["param"] == (
        f"the model {model} has been retired since {date} and is no longer served; "
        f"please migrate to {successor}"
    )
    assert [(r.model, r.status) for r in mimo_emulator.request_log] == [(model, 400)]


def test_retirement_follows_the_clock_in_the_table(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    soon = Retirement(datetime.now(timezone.utc) + timedelta(days=3), DEFAULT_MODEL, "test")
    past = dataclasses.replace(soon, at=datetime.now(timezone.utc) - timedelta(seconds=1))
    flash = MODELS[DEFAULT_MODEL]
    table = {"soon": dataclasses.replace(flash, id="soon", retirement=soon)}
    table["gone"] = dataclasses.replace(flash, id="gone", retirement=past)
    mimo_emulator.configure(models=table)
    assert client.chat.completions.create(model="soon", messages=ask("q")).choices  # not yet
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="gone", messages=ask("q"))
    assert "the model gone has been retired since" in error_of(exc)["param"]
    assert [m.id for m in client.models.list()] == ["soon"]


@pytest.mark.parametrize("effort", ["none", "low", "medium", "high"])
def test_reasoning_effort_values_mimo_takes(client: openai.OpenAI, effort: str) -> None:
    completion = client.chat.completions.create(
        model="mimo-v2.6-pro", messages=ask("q"), extra_body={"reasoning_effort": effort}
    )
    message = completion.choices[0].message
    thinks = effort != "none"
    assert bool(getattr(message, "reasoning_content", None)) is thinks
    assert bool(message.content) is not thinks


@pytest.mark.parametrize(
    ("model", "effort"), [(DEFAULT_MODEL, "minimal"), (DEFAULT_MODEL, "max"), ("mimo-v2.5-asr", "low")]
)
def test_reasoning_effort_values_mimo_refuses(client: openai.OpenAI, model: str, effort: str) -> None:
    messages = ask(audio_part(WAV)) if model.endswith("asr") else ask("q")
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(
            model=model, messages=messages, extra_body={"reasoning_effort": effort}
        )
    assert f"reasoning_effort {effort!r} is not supported by {model}" in error_of(exc)["param"]


def test_max_tokens_is_ignored_as_mimos_documentation_reads(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    """MiMo documents max_completion_tokens only; the emulator applies nothing else by default."""
    kwargs: dict[str, Any] = {"model": DEFAULT_MODEL, "messages": ask(audio_part(WAV), "q")}
    ignored = client.chat.completions.create(**kwargs, max_tokens=5)
    assert ignored.choices[0].finish_reason == "stop"
    assert ignored.usage is not None
    assert ignored.usage.completion_tokens > 5
    capped = client.chat.completions.create(**kwargs, max_completion_tokens=5)
    assert capped.choices[0].finish_reason == "length"
    mimo_emulator.configure(honour_max_tokens=True)  # how a MiMo that honours it would answer
    honoured = client.chat.completions.create(**kwargs, max_tokens=5)
    assert (honoured.choices[0].finish_reason, honoured.usage and honoured.usage.completion_tokens <= 5) == (
        "length",
        True,
    )


def test_a_format_key_beside_a_data_uri_is_ignored_or_refused(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    part = {"type": "input_audio", "input_audio": {"data": uri(WAV), "format": "wav"}}
    heard = client.chat.completions.create(model=DEFAULT_MODEL, messages=ask(part, "q"))
    assert heard.usage is not None
    assert heard.usage.prompt_tokens_details
    assert heard.usage.prompt_tokens_details.audio_tokens == 7
    mimo_emulator.configure(format_key="refuse")
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model=DEFAULT_MODEL, messages=ask(part, "q"))
    assert "input_audio.format is not a field MiMo takes" in error_of(exc)["param"]
    assert client.chat.completions.create(model=DEFAULT_MODEL, messages=ask(audio_part(WAV), "q")).choices


def test_raw_base64_can_be_heard_or_refused(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    raw = {"type": "input_audio", "input_audio": {"data": uri(WAV).split(",", 1)[1], "format": "wav"}}
    mimo_emulator.configure(raw_base64="hear")
    heard = client.chat.completions.create(model=DEFAULT_MODEL, messages=ask(raw, "q"))
    assert heard.usage is not None
    assert heard.usage.prompt_tokens_details
    assert heard.usage.prompt_tokens_details.audio_tokens == 7
    assert "I received 1 audio clip: audio 1: wav" in read_answer(heard)
    mimo_emulator.configure(raw_base64="refuse")
    with pytest.raises(openai.BadRequestError, match="Param Incorrect"):
        client.chat.completions.create(model=DEFAULT_MODEL, messages=ask(raw, "q"))


def test_rpm_429_without_retry_after_when_configured(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    mimo_emulator.configure(rpm=1, retry_after_s=None)
    client.chat.completions.create(model=DEFAULT_MODEL, messages=ask("q"))
    with pytest.raises(openai.RateLimitError) as exc:
        client.chat.completions.create(model=DEFAULT_MODEL, messages=ask("q"))
    assert "retry-after" not in exc.value.response.headers


@pytest.mark.parametrize("option", ["format_key", "raw_base64"])
def test_switches_take_only_their_values(mimo_emulator: EmulatorHandle, option: str) -> None:
    from mimo_openai_ext import InvalidOptionError

    with pytest.raises(InvalidOptionError, match=f"{option}='maybe': must be one of"):
        mimo_emulator.configure(**{option: "maybe"})
