"""The emulator's deterministic answers: what audio it received, and the question echoed.

Like MiMo's documented thinking-mode response (its audio page's example), an answer with
thinking on comes with an empty ``content`` and the answer in ``reasoning_content``;
``answer_in_content`` puts it in ``content`` with a short thought beside it. With thinking
off (``thinking: disabled`` or ``reasoning_effort: none``) the answer is in ``content``.
A text-only request (no audio part) gets a text answer: ``ask_across_chunks``' combining
call a merged answer over the parts' timeline, any other an echo of the request.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from ._audio import HeardAudio
from ._dialect import ChatRequest
from ._usage import text_tokens

__all__ = ["Reply", "build_reply", "completion_body", "stream_chunks"]

_NOTE = "(MiMo emulator: it reports the audio it received; it does not listen to it.)"
_TEXT_NOTE = "(MiMo emulator: it echoes a text-only request; it does not reason about it.)"


@dataclass(frozen=True)
class Reply:
    """One answer, with its usage, ready to serialise as a completion or as SSE chunks."""

    id: str
    created: int
    model: str
    content: str
    reasoning: str | None
    finish_reason: str
    usage: dict[str, object]


def _describe(audio: HeardAudio, index: int) -> str:
    if audio.origin == "ignored":
        return f"audio {index}: not heard"
    channels = "1 channel" if audio.channels == 1 else f"{audio.channels} channels"
    return (
        f"audio {index}: {audio.format}, {audio.duration_s:.2f} s, {channels}, "
        f"{audio.sample_rate_hz} Hz, {audio.tokens} audio tokens"
    )


def _clips(count: int) -> str:
    return "no audio" if count == 0 else "1 audio clip" if count == 1 else f"{count} audio clips"


def _reasoning(request: ChatRequest) -> str:
    heard = sum(a.origin != "ignored" for a in request.audios)
    ignored = len(request.audios) - heard
    question = request.question.strip() or "nothing"
    text = f'The user sent {_clips(heard)} and asked: "{question}".'
    if ignored:
        text += f" {ignored} input_audio part(s) held raw base64 without a data: prefix, so I ignored them."
    return text + " I will report what I received."


_PART = re.compile(r"^Part (\d+) \(([\d:]+)-([\d:]+)\):\n(.*?)(?=\n\nPart \d+ \(|\Z)", re.S | re.M)
_ASKED = re.compile(r"^Question: (.*)$", re.M)
_HEARD = re.compile(r"^I received \d+ audio clips?: (?:audio \d+: )?")


def _combined(question: str) -> str | None:
    """The answer to a text-only request that merges per-part answers (``Part 1 (00:00-00:20):``
    blocks, as ``ask_across_chunks`` sends them): each part's gist on the whole timeline."""
    parts = _PART.findall(question)
    if not parts:
        return None
    asked = _ASKED.search(question)
    about = f' to "{asked.group(1).strip()}"' if asked else ""
    gists = []
    for _, start, end, text in parts:
        first = text.strip().split(". ", 1)[0].rstrip(".")
        gists.append(f"{start}-{end}: {_HEARD.sub('', first)}")
    span = f"{parts[0][1]}-{parts[-1][2]}"
    return (
        f"The answer{about}, over the whole recording ({len(parts)} parts, {span}): "
        + "; ".join(gists)
        + ". (MiMo emulator: it merged the parts' answers as given; it does not listen.)"
    )


def _answer(request: ChatRequest, extra: str) -> str:
    combined = None if request.audios else _combined(request.question)
    if combined is not None:
        return " ".join(p for p in (combined, extra) if p)
    question = request.question.strip() or "(no question)"
    if not request.audios:
        head = f'A text-only request (no audio was sent), answered in text: "{question}"'
        return " ".join(p for p in (head, _TEXT_NOTE, extra) if p)
    heard = [a for a in request.audios if a.origin != "ignored"]
    if heard:
        clips = _clips(len(heard))
        described = "; ".join(_describe(a, i) for i, a in enumerate(heard, 1))
        head = f"I received {clips}: {described}."
    else:
        head = "I heard none of the audio parts (raw base64 without a data: prefix is ignored)."
    return " ".join(p for p in (head, f'You asked: "{question}"', _NOTE, extra) if p)


def _transcript(request: ChatRequest) -> str:
    """The registered speech's words heard in the audio, else what the audio is: its duration,
    format, channels, rate and checksum (so a test can tell every piece apart)."""
    audio = request.audios[0]
    if audio.heard_text is not None:
        return audio.heard_text
    return (
        f"[emulated transcript: {audio.duration_s:.2f} s of {audio.format} audio, "
        f"{audio.channels} ch, {audio.sample_rate_hz} Hz, language {request.asr_language}, "
        f"sha256 {audio.digest.hex()[:12]}]"
    )


def _cut(text: str, budget: int) -> str:
    """The longest word prefix of ``text`` within ``budget`` tokens.

    A binary search over the number of words (tokens only grow with more words): dropping
    one word at a time and recounting was quadratic (49 s for 2,000 audio parts).
    """
    words = text.split(" ")
    low, high = 0, len(words)  # the answer keeps between low and high words
    while low < high:
        middle = (low + high + 1) // 2
        if text_tokens(" ".join(words[:middle])) <= budget:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])


def build_reply(request: ChatRequest, *, cached_tokens: int, answer_in_content: bool, extra: str) -> Reply:
    """The answer and its usage, cut to ``max_completion_tokens`` (finish_reason ``length``).

    With thinking on, the answer is the ``reasoning_content`` and ``content`` is empty (MiMo's
    documented response), unless ``answer_in_content``.
    """
    answer = _transcript(request) if request.model.asr else _answer(request, extra)
    reasoning: str | None = None
    if request.thinking:
        if answer_in_content:
            reasoning = _reasoning(request)
        else:
            reasoning, answer = answer, ""
    budget = request.max_completion_tokens
    finish = "stop"
    reasoning_tokens = text_tokens(reasoning or "")
    if reasoning is not None and reasoning_tokens > budget:
        reasoning, answer, finish = _cut(reasoning, budget), "", "length"
        reasoning_tokens = text_tokens(reasoning)
    content_tokens = text_tokens(answer)
    if reasoning_tokens + content_tokens > budget:
        answer, finish = _cut(answer, budget - reasoning_tokens), "length"
        content_tokens = text_tokens(answer)
    completion = reasoning_tokens + content_tokens
    usage: dict[str, object] = {
        "prompt_tokens": request.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": request.prompt_tokens + completion,
        "prompt_tokens_details": {
            "audio_tokens": sum(a.tokens for a in request.audios),
            "cached_tokens": cached_tokens,
        },
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    }
    if request.model.asr:
        usage["seconds"] = round(sum(a.duration_s for a in request.audios), 3)
    return Reply(uuid.uuid4().hex, int(time.time()), request.model.id, answer, reasoning, finish, usage)


def completion_body(reply: Reply) -> dict[str, object]:
    message: dict[str, object] = {"role": "assistant", "content": reply.content, "tool_calls": None}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    return {
        "id": reply.id,
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "choices": [{"index": 0, "finish_reason": reply.finish_reason, "message": message}],
        "usage": reply.usage,
    }


def _pieces(text: str, words_per_piece: int = 4) -> Iterator[str]:
    words = text.split(" ")
    for start in range(0, len(words), words_per_piece):
        piece = " ".join(words[start : start + words_per_piece])
        yield piece if start + words_per_piece >= len(words) else piece + " "


def stream_chunks(reply: Reply, *, include_usage: bool) -> Iterator[dict[str, object]]:
    """Reasoning deltas, content deltas, the finish chunk, then (optionally) usage."""
    base = {"id": reply.id, "object": "chat.completion.chunk", "created": reply.created, "model": reply.model}

    def chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in _pieces(reply.reasoning or ""):
        if piece:
            yield chunk({"reasoning_content": piece})
    for piece in _pieces(reply.content):
        if piece:
            yield chunk({"content": piece})
    yield chunk({}, reply.finish_reason)
    if include_usage:
        yield {**base, "choices": [], "usage": reply.usage}
