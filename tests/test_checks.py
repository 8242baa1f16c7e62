"""Up-front refusals and warnings for user mistakes (the Python-API review's findings).

End-to-end cases use the real openai SDK over HTTP to the emulator; "nothing was sent" is
checked on the emulator's request log.
"""

from __future__ import annotations

import asyncio
import base64
import re
import warnings
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import encode_silence

from mimo_openai_ext import (
    AudioAsTextWarning,
    ContextOverflowError,
    InvalidAudioSourceError,
    InvalidClientError,
    InvalidOptionError,
    MimoAudioError,
    RetryPolicy,
    StreamNotFinishedError,
    TruncatedAnswerWarning,
    UnknownModelWarning,
    ask,
    ask_async,
    ask_stream,
    ask_stream_async,
    estimate_audio_tokens,
    estimate_request,
    input_audio_part,
    thinking,
    transcribe,
    transcribe_async,
    transcriptions,
    user_message,
)
from mimo_openai_ext._heard import check_audio_heard
from mimo_openai_ext._usage import UsageReport
from mimo_openai_ext.retry import create_completion, create_completion_async, set_testing

pytestmark = pytest.mark.usefixtures("no_sleep")


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "speech.wav"
    path.write_bytes(encode_silence(1.0))
    return path


# -- 1. audio that would be dropped --------------------------------------------------------


def test_a_path_string_warns_that_it_is_sent_as_text(wav: Path) -> None:
    with pytest.warns(AudioAsTextWarning, match=r"input_audio_part\(") as caught:
        message = user_message(str(wav), "hi")
    assert caught[0].filename == __file__  # the user's line, not the library's
    assert message["content"] == [{"type": "text", "text": str(wav)}, {"type": "text", "text": "hi"}]


@pytest.mark.parametrize("text", ["https://example.com/a.mp3", "data:audio/wav;base64,UklGRg=="])
def test_a_url_or_data_uri_string_warns(text: str) -> None:
    with pytest.warns(AudioAsTextWarning, match="looks like audio"):
        user_message(text, "hi")


@pytest.mark.parametrize("text", ["What is said in speech.wav?", "no_such_file.wav", "see https://x.io/a b"])
def test_ordinary_text_does_not_warn(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert user_message(text)["content"] == [{"type": "text", "text": text}]


def test_an_openai_shaped_part_is_converted() -> None:
    raw = base64.b64encode(encode_silence(1.0)).decode()
    openai_part: Any = {"type": "input_audio", "input_audio": {"data": raw, "format": "wav"}}
    message = user_message(openai_part, "hi")
    part: Any = next(iter(message["content"]))
    assert part["input_audio"] == {"data": "data:audio/wav;base64," + raw}


def test_audio_without_text_is_refused() -> None:
    part = input_audio_part(encode_silence(1.0))
    with pytest.raises(InvalidOptionError, match="`text` is not present"):
        user_message(part)


def test_an_openai_shaped_part_in_ask_is_heard(client: openai.OpenAI) -> None:
    raw = base64.b64encode(encode_silence(3.0)).decode()
    answer = ask(client, {"type": "input_audio", "input_audio": {"data": raw, "format": "wav"}}, "q")  # type: ignore[arg-type]
    assert answer.usage.audio_tokens > 0


def test_ask_with_no_audio_sends_nothing(client: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(InvalidAudioSourceError, match="no audio given"):
        ask(client, [], "q")
    assert mimo_emulator.request_log == []


# -- 2. thinking needs a bool ------------------------------------------------------------


@pytest.mark.parametrize("value", ["off", "no", 0, None])
def test_thinking_needs_a_bool(value: Any, client: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(InvalidOptionError, match="True or False") as info:
        thinking(value)
    assert info.value.option == "thinking"
    with pytest.raises(InvalidOptionError, match="thinking="):
        ask(client, encode_silence(1.0), "q", thinking=value)
    assert mimo_emulator.request_log == []


# -- 3. the wrong kind of client -----------------------------------------------------------


def test_sync_calls_refuse_an_async_client(mimo_emulator: Any) -> None:
    aclient = openai.AsyncOpenAI(api_key=mimo_emulator.api_key, base_url=mimo_emulator.base_url)
    audio = encode_silence(1.0)
    calls: list[Any] = [
        lambda: ask(aclient, audio, "q"),  # type: ignore[arg-type]
        lambda: ask_stream(aclient, audio, "q"),  # type: ignore[arg-type]
        lambda: transcribe(aclient, audio),  # type: ignore[arg-type]
        lambda: create_completion(aclient, model="mimo-v2.6-flash", messages=[]),  # type: ignore[call-overload]
    ]
    for call in calls:
        with pytest.raises(InvalidClientError, match=r"_async\(\)") as info:
            call()
        assert isinstance(info.value, TypeError)
        assert isinstance(info.value, MimoAudioError)
    assert mimo_emulator.request_log == []


def test_async_calls_refuse_a_sync_client(client: openai.OpenAI, mimo_emulator: Any) -> None:
    audio = encode_silence(1.0)

    async def run() -> list[str]:
        messages: list[str] = []
        for make in (
            lambda: ask_async(client, audio, "q"),  # type: ignore[arg-type]
            lambda: transcribe_async(client, audio),  # type: ignore[arg-type]
            lambda: create_completion_async(client, model="mimo-v2.6-flash", messages=[]),  # type: ignore[call-overload]
        ):
            with pytest.raises(InvalidClientError) as info:
                await make()
            messages.append(str(info.value))
        with pytest.raises(InvalidClientError, match="ask_stream"):
            ask_stream_async(client, audio, "q")  # type: ignore[arg-type]
        return messages

    messages = asyncio.run(run())
    assert all("sync openai.OpenAI" not in m and "got OpenAI" in m for m in messages)
    assert mimo_emulator.request_log == []


@pytest.mark.parametrize("first", ["not a client", "speech.wav", None])
def test_something_else_first_is_refused(first: Any, client: openai.OpenAI) -> None:
    with pytest.raises(InvalidClientError, match=r"ask\(client, \.\.\.\)"):
        ask(first, client, "q")  # type: ignore[arg-type]


# -- 4. async with ask_stream_async(...) ------------------------------------------------------


def test_ask_stream_async_works_with_async_with_and_await(mimo_emulator: Any) -> None:
    async def run() -> tuple[str, str, int]:
        async with openai.AsyncOpenAI(api_key=mimo_emulator.api_key, base_url=mimo_emulator.base_url) as ac:
            async with ask_stream_async(ac, encode_silence(1.0), "q", thinking=False) as stream:
                pieces = [piece async for piece in stream.text_deltas()]
            first = stream.answer().text
            assert "".join(pieces) == first
            awaited = await ask_stream_async(ac, encode_silence(1.0), "q")
            async with awaited:
                async for _ in awaited:
                    pass
            return first, awaited.answer().text, len(mimo_emulator.request_log)

    first, second, requests = asyncio.run(run())
    assert first
    assert second
    assert requests == 2


# -- 5. max_completion_tokens --------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -5, 131_073, 10**7, "100", 2.5, True])
def test_max_completion_tokens_out_of_range(value: Any, client: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(InvalidOptionError, match="max_completion_tokens") as info:
        ask(client, encode_silence(1.0), "q", max_completion_tokens=value)
    assert info.value.option == "max_completion_tokens"
    assert mimo_emulator.request_log == []


def test_the_model_maximum_is_accepted() -> None:
    message = user_message(input_audio_part(encode_silence(1.0)), "q")
    assert estimate_request([message], max_completion_tokens=131_072).max_completion_tokens == 131_072


def test_context_overflow_advice_stays_under_the_model_maximum() -> None:
    from mimo_openai_ext import Limits, ModelSpec
    from mimo_openai_ext._config import MODELS

    MODELS["test-small-context"] = ModelSpec("test-small-context", True, 200_000, max_completion_tokens=1_000)
    try:
        message = user_message(input_audio_part(encode_silence(1.0)), "x" * 4 * 199_500)
        with pytest.raises(ContextOverflowError, match="split the audio") as info:
            estimate_request(
                [message], model="test-small-context", max_completion_tokens=1_000, limits=Limits()
            )
        advised = int(re.search(r"at most ([\d,]+)", str(info.value)).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert 0 < advised < 1_000
    finally:
        del MODELS["test-small-context"]


# -- 6. raw base64 -----------------------------------------------------------------------


def test_check_audio_heard_wording_without_an_estimate() -> None:
    raw = base64.b64encode(encode_silence(1.0)).decode()
    messages: Any = [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": raw}}]}]
    with pytest.warns(Warning, match="to_mimo_messages"):
        estimate = estimate_request(messages)
    report = UsageReport.from_usage(
        {"prompt_tokens": 10, "prompt_tokens_details": {"audio_tokens": 0}}, model="mimo-v2.6-flash"
    )
    problem = check_audio_heard(report, estimate, warn=False)
    assert problem is not None
    assert "expected about 0" not in problem
    assert "could not count" in problem


# -- 7. other user mistakes --------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{"attempts": 0}, {"attempts": "3"}, {"attempts": 2.5}, {"timeout_s": -1}, {"wait_exp_base": "2"}],
)
def test_retry_policy_refuses_bad_values(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidOptionError, match="RetryPolicy") as info:
        RetryPolicy(**options)
    assert info.value.option == next(iter(options))


def test_set_testing_needs_a_bool() -> None:
    with pytest.raises(InvalidOptionError, match="True or False"):
        set_testing("yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("question", ["", "   ", None, 5])
def test_bad_questions(question: Any, client: openai.OpenAI) -> None:
    with pytest.raises(InvalidOptionError, match="question") as info:
        ask(client, encode_silence(1.0), question)
    assert info.value.option == "question"


@pytest.mark.filterwarnings("ignore::mimo_openai_ext.TruncatedAnswerWarning")
def test_max_tokens_is_sent_as_max_completion_tokens_with_one_note(
    client: openai.OpenAI, mimo_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mimo_openai_ext import OptionAliasWarning, _ask_request

    monkeypatch.setattr(_ask_request, "_ALIASES_NOTED", set())  # a fresh process, as far as notes go
    with pytest.warns(OptionAliasWarning, match="max_completion_tokens=5") as caught:
        first = ask(client, encode_silence(1.0), "q", max_tokens=5, thinking=False)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", OptionAliasWarning)  # the note is said once
        second = ask(client, encode_silence(1.0), "q", max_tokens=5, thinking=False)
    for answer in (first, second):  # sent as max_completion_tokens (the emulator ignores max_tokens)
        assert answer.finish_reason == "length"
        assert answer.usage.completion_tokens <= 5
    assert [r.status for r in mimo_emulator.request_log] == [200, 200]


def test_max_tokens_that_contradicts_max_completion_tokens_is_refused(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    with pytest.raises(InvalidOptionError, match="disagree"):
        ask(client, encode_silence(1.0), "q", max_tokens=5, max_completion_tokens=6)
    assert mimo_emulator.request_log == []


@pytest.mark.parametrize(("value", "words"), [(-1, "max_tokens=-1: "), ("9", "max_tokens='9': must be")])
def test_a_bad_max_tokens_is_named_as_passed(
    client: openai.OpenAI, mimo_emulator: Any, value: object, words: str
) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        ask(client, encode_silence(1.0), "q", max_tokens=value)
    assert str(caught.value).startswith(words)
    assert "max_completion_tokens=" not in str(caught.value)
    assert caught.value.option == "max_tokens"
    assert mimo_emulator.request_log == []


@pytest.mark.parametrize("messages", ["hello", {"role": "user", "content": "hi"}, ["hello"]])
def test_estimate_request_needs_a_message_list(messages: Any) -> None:
    with pytest.raises(InvalidOptionError, match="message"):
        estimate_request(messages)


def test_estimate_audio_tokens_negative() -> None:
    with pytest.raises(InvalidOptionError, match="duration_s=-1"):
        estimate_audio_tokens(-1)


def test_answer_before_the_end_of_a_stream(client: openai.OpenAI) -> None:
    with (
        ask_stream(client, encode_silence(1.0), "q") as stream,
        pytest.raises(StreamNotFinishedError, match="iterate it to the end") as info,
    ):
        stream.answer()
    assert isinstance(info.value, RuntimeError)


def test_transcribe_language_case_is_normalised(client: openai.OpenAI) -> None:
    assert transcribe(client, encode_silence(1.0), language="EN").language == "en"  # type: ignore[arg-type]


# -- 8. warnings point at the caller ---------------------------------------------------------


def test_unknown_model_warns_once_at_the_callers_line(client: openai.OpenAI) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(openai.BadRequestError):
            transcriptions(client).create(model="mimo-v3", file=encode_silence(1.0))
    unknown = [w for w in caught if w.category is UnknownModelWarning]
    assert len(unknown) == 1
    assert unknown[0].filename == __file__


def test_truncated_answer_warning_points_at_the_caller(client: openai.OpenAI) -> None:
    with pytest.warns(TruncatedAnswerWarning) as caught:
        ask(client, encode_silence(1.0), "q", max_completion_tokens=5, thinking=False)
    assert caught[0].filename == __file__


# -- 10. answers that come only as reasoning ----------------------------------------------------


def test_answer_deltas_fall_back_to_reasoning(client: openai.OpenAI) -> None:
    # the emulator's default: MiMo's documented thinking-mode answer, all in reasoning_content
    with ask_stream(client, encode_silence(1.0), "q") as stream:
        assert list(stream.text_deltas()) == []
        assert stream.answer().text
    with ask_stream(client, encode_silence(1.0), "q") as stream:
        pieces = list(stream.answer_deltas())
    assert "".join(pieces) == stream.answer().text


# -- 11. documented aliases ------------------------------------------------------------------


def test_public_aliases_have_a_docstring() -> None:
    import pydoc

    from mimo_openai_ext import AudioInput
    from mimo_openai_ext.migrate import TranscriptionFile

    assert "AudioInput: what ask()" in pydoc.render_doc(AudioInput)
    assert "TranscriptionFile: what transcriptions(client)" in pydoc.render_doc(TranscriptionFile)
