"""audio_chat: several questions about one recording, the audio billed at the cache price after the first."""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
from pathlib import Path

import pytest
from _readme import python_blocks

from mimo_openai_ext import (
    MODELS,
    AsyncAudioChat,
    AudioChat,
    InvalidAudioSourceError,
    InvalidClientError,
    InvalidOptionError,
    audio_chat,
    audio_chat_async,
    sample_audio_path,
)
from mimo_openai_ext._usage import tokens_usd

SAMPLE_TOKENS = 28  # ceil(4.4 s x 6.25): the shipped speech sample


def _expected_cost(usage, model: str = "mimo-v2.6-flash") -> float:
    price = MODELS[model].price
    assert price is not None
    return (
        tokens_usd(usage.prompt_tokens - usage.cached_tokens, price.input_usd_per_mtok)
        + tokens_usd(usage.cached_tokens, price.cache_hit_usd_per_mtok)
        + tokens_usd(usage.completion_tokens, price.output_usd_per_mtok)
    )


def test_the_second_question_is_billed_at_the_cache_price(client, mimo_emulator) -> None:
    chat = audio_chat(client, sample_audio_path(), model="mimo-v2.6-flash")
    first = chat.ask("Who is speaking?")
    second = chat.ask("What is the weather question about?")
    assert first.usage.audio_tokens == second.usage.audio_tokens == SAMPLE_TOKENS
    assert first.usage.cached_tokens == 0  # nothing seen before
    assert second.usage.cached_tokens >= SAMPLE_TOKENS  # the audio prefix, as MiMo reported it
    price = MODELS["mimo-v2.6-flash"].price
    assert price is not None
    for answer in (first, second):
        assert answer.usage.cost_usd == pytest.approx(_expected_cost(answer.usage))
    saving = tokens_usd(second.usage.cached_tokens, price.input_usd_per_mtok - price.cache_hit_usd_per_mtok)
    assert second.usage.cache_saving_usd == pytest.approx(saving)
    assert first.usage.cache_saving_usd == 0
    total = chat.usage
    assert total.audio_tokens == 2 * SAMPLE_TOKENS
    assert total.cached_tokens == second.usage.cached_tokens
    assert total.cost_usd == pytest.approx(first.usage.cost_usd + second.usage.cost_usd)
    assert total.cache_saving_usd == pytest.approx(saving)
    assert [t.question for t in chat.turns] == ["Who is speaking?", "What is the weather question about?"]
    assert chat.cost_line().startswith(f"2 questions: {2 * SAMPLE_TOKENS} audio tokens")
    assert "the cache saved $" in chat.cost_line()
    assert len(mimo_emulator.completions()) == 2


def test_every_turn_sends_the_same_prefix_audio_first(client, tmp_path: Path) -> None:
    path = tmp_path / "meeting.mp3"
    path.write_bytes(sample_audio_path().read_bytes())
    chat = audio_chat(client, path, system="You are a careful listener.")
    path.unlink()  # read and encoded once, when the chat was made
    one, two = chat.messages("first?"), chat.messages("second?")
    assert one[0] == two[0] == {"role": "system", "content": "You are a careful listener."}
    assert one[1]["content"][0] == two[1]["content"][0]  # the audio part, first in the user message
    assert one[1]["content"][0]["type"] == "input_audio"
    chat.ask("first?")
    assert chat.ask("second?").usage.cached_tokens > SAMPLE_TOKENS  # the system prompt too


def test_history_carries_the_conversation_after_the_audio(client) -> None:
    chat = audio_chat(client, sample_audio_path(), history=True)
    first = chat.ask("Who is speaking?")
    messages = chat.messages("And what did they ask?")
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"][0]["type"] == "input_audio"
    assert messages[0]["content"][1] == {"type": "text", "text": "Who is speaking?"}
    assert messages[1]["content"] == first.text
    second = chat.ask("And what did they ask?")
    # The whole first turn is the cached prefix now: the audio and the first question.
    assert second.usage.cached_tokens > first.usage.audio_tokens
    assert second.usage.prompt_tokens > first.usage.prompt_tokens
    assert chat.history is True


def test_the_async_twin(mimo_emulator) -> None:
    async def main() -> tuple[AsyncAudioChat, list[int]]:
        async with mimo_emulator.async_client() as aclient:
            chat = audio_chat_async(aclient, sample_audio_path(), thinking=False)
            cached = [(await chat.ask(q)).usage.cached_tokens for q in ("one?", "two?", "three?")]
            return chat, cached

    chat, cached = asyncio.run(main())
    assert cached[0] == 0
    assert min(cached[1:]) >= SAMPLE_TOKENS
    assert chat.usage.reasoning_tokens == 0  # thinking=False reached every turn
    assert isinstance(chat, AsyncAudioChat)


def test_mistakes_are_refused_before_any_request(client, mimo_emulator, tmp_path: Path) -> None:
    with pytest.raises(InvalidClientError, match="audio_chat_async"):
        audio_chat(mimo_emulator.async_client(), sample_audio_path())  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="history"):
        audio_chat(client, sample_audio_path(), history="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidAudioSourceError, match="no such file"):
        audio_chat(client, tmp_path / "missing.wav")
    chat = audio_chat(client, sample_audio_path())
    with pytest.raises(InvalidOptionError, match="question is empty"):
        chat.ask("  ")
    assert mimo_emulator.completions() == []
    assert chat.turns == ()
    assert "no question asked yet" in chat._repr_html_()


def test_a_chat_shows_its_answers_side_by_side(client) -> None:
    chat = audio_chat(client, sample_audio_path())
    chat.ask("Who?")
    chat.ask("What?")
    html = chat._repr_html_()
    assert html.count("<table") == 2  # the answers side by side, then the summed usage
    assert ">Who?</th>" in html
    assert ">What?</th>" in html
    assert "the cache saved" in html
    assert "2 questions" in repr(chat)
    assert isinstance(chat, AudioChat)


def test_readme_section_runs(mimo_emulator, emulator_env: Path, fixture_file) -> None:
    (code,) = python_blocks("A conversation about one recording, at cache prices")
    shutil.copy(fixture_file("aac_brand_m4a.m4a"), emulator_env / "meeting.m4a")
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), namespace)
    namespace["client"].close()  # type: ignore[attr-defined]
    chat = namespace["chat"]
    assert isinstance(chat, AudioChat)
    line = printed.getvalue().strip()
    assert line.startswith("2 questions: ")
    assert "prompt tokens cached), $" in line
    assert "; the cache saved $" in line
    second = chat.answers[1].usage
    assert second.cached_tokens >= second.audio_tokens > 0  # billed at the cache price
    assert namespace["usage"] == chat.usage
    assert len(mimo_emulator.completions()) == 2


def test_a_fitted_audio_or_a_chunk_is_refused_naming_its_part(client, mimo_emulator) -> None:
    from mimo_openai_ext import ask, fit_audio, split_audio

    fitted = fit_audio(sample_audio_path())
    chunk = next(iter(split_audio(sample_audio_path())))
    with pytest.raises(InvalidAudioSourceError, match=r"a FittedAudio holds audio .*: pass fitted\.part"):
        audio_chat(client, fitted)  # type: ignore[arg-type]
    with pytest.raises(InvalidAudioSourceError, match=r"pass fitted\.part"):
        ask(client, fitted, "What is said?")  # type: ignore[arg-type]
    with pytest.raises(InvalidAudioSourceError, match=r"an AudioChunk holds audio .*: pass chunk\.part"):
        ask(client, [chunk], "What is said?")  # type: ignore[list-item]
    assert mimo_emulator.completions() == []
    assert "I received 1 audio clip" in ask(client, fitted.part, "What is said?").text  # the way out works
