"""ask / ask_async / ask_stream end to end: the real openai SDK over HTTP to the emulator."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import encode_silence
from _readme import python_blocks

from mimo_openai_ext import AudioNotHeardWarning, TruncatedAnswerWarning, UnsupportedFeatureError
from mimo_openai_ext._across import ask_across_chunks
from mimo_openai_ext._ask import ask, ask_async, ask_stream, ask_stream_async
from mimo_openai_ext._ask_request import AskOptions, build_ask_request, thinking
from mimo_openai_ext._chat import audio_chat
from mimo_openai_ext._retry import RetryPolicy, set_testing
from mimo_openai_ext._sample import SAMPLE_TRANSCRIPT, sample_audio_path
from mimo_openai_ext._streaming import StreamDelta

pytestmark = pytest.mark.usefixtures("no_sleep")


def test_thinking_switch() -> None:
    assert thinking(False) == {"thinking": {"type": "disabled"}}
    assert thinking(True) == {"thinking": {"type": "enabled"}}
    kwargs, _ = build_ask_request(
        encode_silence(1.0), "q", AskOptions(thinking=False, create_options={"extra_body": {"other": 1}})
    )
    assert kwargs["extra_body"] == {"other": 1, "thinking": {"type": "disabled"}}
    kwargs, _ = build_ask_request(encode_silence(1.0), "q")
    assert "extra_body" not in kwargs


def test_request_shape_audio_then_question() -> None:
    kwargs, estimate = build_ask_request(
        [encode_silence(1.0), "https://example.com/a.mp3"],
        "What is it?",
        AskOptions(max_completion_tokens=50),
    )
    content = kwargs["messages"][-1]["content"]
    assert [p["type"] for p in content] == ["input_audio", "input_audio", "text"]
    assert content[0]["input_audio"]["data"].startswith("data:audio/wav;base64,")
    assert content[1]["input_audio"]["data"] == "https://example.com/a.mp3"
    assert kwargs["max_completion_tokens"] == 50
    assert estimate.audio_tokens == 7
    assert estimate.unknown_audio == 1


def test_empty_question_is_refused() -> None:
    with pytest.raises(ValueError, match="question is empty"):
        build_ask_request(encode_silence(1.0), "  ")


def test_ask_the_shipped_sample(client: openai.OpenAI, mimo_emulator: Any) -> None:
    answer = ask(client, sample_audio_path(), "What is said in this recording?")
    assert "1 audio clip" in answer.text
    assert answer.estimate is not None
    assert answer.usage.audio_tokens == answer.estimate.audio_tokens == 28
    assert answer.reasoning  # thinking on by default
    assert answer.usage.cost_usd is not None
    assert answer.usage.cost_usd <= (answer.estimate.worst_case_cost_usd or 0)
    assert len(mimo_emulator.completions()) == 1
    assert SAMPLE_TRANSCRIPT.startswith("Good morning")


def test_no_thinking_means_no_reasoning(client: openai.OpenAI) -> None:
    answer = ask(client, encode_silence(2.0), "Describe it.", thinking=False)
    assert answer.reasoning == ""
    assert answer.usage.reasoning_tokens == 0


def test_several_audios_and_a_system_prompt(client: openai.OpenAI) -> None:
    answer = ask(client, [encode_silence(1.0), encode_silence(2.0)], "Compare them.", system="Be brief.")
    assert "2 audio clips" in answer.text
    assert answer.usage.audio_tokens == 7 + 13


def test_mimos_documented_answer_in_reasoning_content_is_read(client: openai.OpenAI) -> None:
    # MiMo's own example: content "", the answer in reasoning_content (the emulator's default)
    answer = ask(client, encode_silence(1.0), "What is it?")
    assert answer.text_from_reasoning
    assert "1 audio clip" in answer.text
    assert answer.text == answer.reasoning


def test_an_answer_in_content_is_read_beside_its_reasoning(client: openai.OpenAI, mimo_emulator: Any) -> None:
    mimo_emulator.configure(answer_in_content=True)
    answer = ask(client, encode_silence(1.0), "What is it?")
    assert not answer.text_from_reasoning
    assert answer.text.startswith("I received 1 audio clip")
    assert answer.reasoning.startswith("The user sent 1 audio clip")


def test_ignored_audio_warns_loudly(client: openai.OpenAI) -> None:
    # ask() now converts OpenAI-shaped parts (see test_checks.py), so the ignored audio is
    # sent with the SDK directly, then checked the way ask() checks its own answers
    from mimo_openai_ext import UsageReport, check_audio_heard, estimate_request

    raw = base64.b64encode(encode_silence(3.0)).decode()
    part = {"type": "input_audio", "input_audio": {"data": raw, "format": "wav"}}
    messages: Any = [{"role": "user", "content": [part, {"type": "text", "text": "What is it?"}]}]
    with pytest.warns(AudioNotHeardWarning, match="to_mimo_messages"):
        estimate = estimate_request(messages)
    completion = client.chat.completions.create(model="mimo-v2.6-flash", messages=messages)
    report = UsageReport.from_usage(completion.usage, model="mimo-v2.6-flash")
    with pytest.warns(AudioNotHeardWarning, match="NOT heard"):
        check_audio_heard(report, estimate)
    assert report.audio_tokens == 0


def test_truncated_answer_warns(client: openai.OpenAI) -> None:
    with pytest.warns(TruncatedAnswerWarning, match="length"):
        answer = ask(client, encode_silence(1.0), "What is it?", max_completion_tokens=5, thinking=False)
    assert answer.truncated


def test_ask_retries_through_one_layer(client: openai.OpenAI, mimo_emulator: Any) -> None:
    events: list[Any] = []
    ask(
        client,
        encode_silence(1.0),
        "q",
        retry=RetryPolicy(on_retry=events.append),
        extra_headers={"x-emulator-fault": "503; times=1"},
    )
    assert [r.status for r in mimo_emulator.completions()] == [503, 200]
    assert len(events) == 1


def test_ask_stream_separates_reasoning_and_text(client: openai.OpenAI, mimo_emulator: Any) -> None:
    mimo_emulator.configure(answer_in_content=True)
    deltas: list[StreamDelta] = []
    with ask_stream(client, sample_audio_path(), "What is said?") as stream:
        deltas.extend(stream)
        answer = stream.answer()
    kinds = [d.kind for d in deltas]
    assert "reasoning" in kinds
    assert "text" in kinds
    assert kinds.index("text") > max(i for i, k in enumerate(kinds) if k == "reasoning")
    assert answer.text == "".join(d.text for d in deltas if d.kind == "text")
    assert answer.reasoning == "".join(d.text for d in deltas if d.kind == "reasoning")
    assert answer.usage.audio_tokens == 28  # final usage chunk (include_usage)
    assert answer.usage.completion_tokens > 0


def test_text_deltas_only(client: openai.OpenAI) -> None:
    with ask_stream(client, encode_silence(1.0), "What is it?", thinking=False) as stream:
        text = "".join(stream.text_deltas())
        assert stream.answer().text == text


def test_answer_before_the_end_is_an_error(client: openai.OpenAI) -> None:
    with (
        ask_stream(client, encode_silence(1.0), "What is it?") as stream,
        pytest.raises(RuntimeError, match="iterate"),
    ):
        stream.answer()


def test_async_ask_and_stream(mimo_emulator: Any) -> None:
    async def main() -> tuple[Any, Any, list[StreamDelta]]:
        async with mimo_emulator.async_client() as client:
            answer = await ask_async(client, encode_silence(2.0), "What is it?", thinking=False)
            deltas: list[StreamDelta] = []
            async with await ask_stream_async(client, encode_silence(1.0), "And this?") as stream:
                deltas.extend([d async for d in stream])
                streamed = stream.answer()
            return answer, streamed, deltas

    answer, streamed, deltas = asyncio.run(main())
    assert answer.usage.audio_tokens == 13
    assert answer.reasoning == ""
    assert streamed.usage.audio_tokens == 7
    assert streamed.text_from_reasoning  # MiMo's thinking-mode answer: all in reasoning deltas
    assert streamed.text == "".join(d.text for d in deltas if d.kind == "reasoning")
    assert [d for d in deltas if d.kind == "text"] == []


def test_readme_section_runs(mimo_emulator: Any, emulator_env: Path) -> None:
    import shutil

    blocks = python_blocks("Asking, retries, usage and cost")
    assert len(blocks) == 3
    shutil.copy(sample_audio_path(), emulator_env / "call.mp3")
    namespace: dict[str, Any] = {}
    with set_testing(True):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    namespace["client"].close()
    assert namespace["answer"].usage.audio_tokens == 28
    assert len(mimo_emulator.completions()) == 3


@pytest.mark.parametrize(("model", "hint"), [(None, "does not take audio"), ("mimo-v2.5-asr", "transcribe")])
def test_models_that_cannot_answer_about_audio_are_refused_early(
    model: str | None, hint: str, text_model: str
) -> None:
    from mimo_openai_ext import UnsupportedFeatureError

    with pytest.raises(UnsupportedFeatureError, match=hint) as caught:
        build_ask_request(encode_silence(1.0), "q", AskOptions(model=model or text_model))
    assert "mimo-v2.6-flash," in str(caught.value)


@pytest.mark.parametrize(
    "options",
    [
        {"modalities": ["text", "audio"]},
        {"extra_body": {"modalities": ["audio"]}},
    ],
)
def test_a_spoken_reply_is_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: Any, options: dict[str, Any]
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="answer in text only") as caught:
        ask(client, sample_audio_path(), "What is said?", **options)
    assert "speak(client, text)" in str(caught.value)
    with pytest.raises(UnsupportedFeatureError, match="answer in text only"):
        asyncio.run(ask_async(mimo_emulator.async_client(), sample_audio_path(), "q", **options))
    with pytest.raises(UnsupportedFeatureError, match="answer in text only"):
        audio_chat(client, sample_audio_path(), **options)
    with pytest.raises(UnsupportedFeatureError, match="answer in text only"):
        ask_across_chunks(client, sample_audio_path(), "q", **options)
    assert mimo_emulator.request_log == []
    assert ask(client, sample_audio_path(), "What is said?", modalities=["text"]).text  # text alone is fine


def test_an_audio_output_parameter_is_refused_in_the_options() -> None:
    with pytest.raises(UnsupportedFeatureError, match=r"^audio=\{'voice': 'alloy'.*answer in text only"):
        AskOptions(create_options={"audio": {"voice": "alloy", "format": "wav"}})


def test_stream_false_and_n_1_change_nothing(client: Any, tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(encode_silence(0.5))
    answer = ask(client, wav, "What is it?", stream=False, n=1)
    assert answer.text
