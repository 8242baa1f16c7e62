"""Several questions per file: a batch asks the first before the others, so they hit MiMo's cache."""

from __future__ import annotations

import asyncio
from pathlib import Path

from _audio import write_silence

from mimo_openai_ext import ask_async, ask_batch
from mimo_openai_ext._batch.engine import cache_order


def test_the_first_question_of_each_source_goes_first() -> None:
    order, leader_of = cache_order([0, 1, 2, 3, 4], ["a", "a", "b", "b", "a"])
    assert order == [0, 2, 1, 3, 4]
    assert leader_of == {1: 0, 3: 2, 4: 0}
    assert cache_order([3, 4], ["a", "b", "c", "a", "b"]) == ([3, 4], {})  # one question each: as given


def test_later_questions_about_a_file_are_billed_at_the_cache_price(
    mimo_emulator, client, tmp_path: Path
) -> None:
    mimo_emulator.configure(latency_ms=100)  # sent together, they would all miss the cache (see below)
    a = write_silence(tmp_path / "a.wav", 4.0)
    b = write_silence(tmp_path / "b.wav", 2.0)
    sources = [a, a, a, b, b]
    questions = ["Who?", "What?", "Why?", "Who?", "What?"]
    results = ask_batch(client, sources, questions, concurrency=5)
    assert [r.record["question"] for r in results] == questions
    cached = [r.tokens("cached_tokens") for r in results]
    audio = [r.tokens("audio_tokens") for r in results]
    assert audio == [25, 25, 25, 13, 13]
    assert cached[0] == cached[3] == 0  # each file's first question
    assert all(c >= t for c, t in zip(cached[1:3] + cached[4:], audio[1:3] + audio[4:], strict=True))
    first, later = results[0].usage, results[1].usage
    assert later.cost_usd < first.cost_usd
    assert later.cache_saving_usd > 0


def test_questions_sent_together_miss_the_cache(mimo_emulator, tmp_path: Path) -> None:
    """Why the order matters: a prefix is cached once answered, not while it is being answered."""
    mimo_emulator.configure(latency_ms=100)
    a = write_silence(tmp_path / "a.wav", 4.0)

    async def together() -> list[int]:
        async with mimo_emulator.async_client() as aclient:
            answers = await asyncio.gather(ask_async(aclient, a, "Who?"), ask_async(aclient, a, "What?"))
        return [x.usage.cached_tokens for x in answers]

    assert asyncio.run(together()) == [0, 0]
