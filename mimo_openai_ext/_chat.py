"""A conversation about one recording, at cache prices: ``audio_chat(client, "meeting.m4a")``.

MiMo caches prompt prefixes by itself: a prefix it has seen recently is billed at the
cache-hit price (about 2% of the input price), audio included, but only when it is
byte-identical. So the recording is read, checked and encoded **once**, when the chat is
made, and every question sends the very same bytes in the very same place: the system
prompt (if any), then a user message that starts with the audio. Only what follows differs.

Follow-ups are asked **independently** by default (``history=False``): each question is
``[system], user(audio, question)``. That is the cheapest shape (the prefix is the audio
alone, so nothing grows), questions do not depend on each other's order, and the answers
are not coloured by earlier ones. ``history=True`` carries the conversation instead
(``user(audio, q1), assistant(a1), user(q2), ...``), for follow-ups that refer to earlier
answers ("and who disagreed with that?"); the earlier turns are then part of the cached
prefix too, but each question sends a longer prompt.

``chat.usage`` sums every turn: audio tokens, cached tokens, cost, and what the cache saved
(``UsageReport.cache_saving_usd``), all from the ``cached_tokens`` MiMo reports, never assumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._answer import Answer, compare_answers
from ._ask_request import AskOptions, AudioInput, audio_parts, check_audio_model, create_kwargs
from ._audio.probe import AudioInfo
from ._checks import check_bool, check_question
from ._client import check_client, create_completion, create_completion_async
from ._config import DEFAULT_MODEL, Limits, ReasoningEffort
from ._format import GAP, esc, money, short
from ._heard import check_audio_heard
from ._messages import user_message
from ._models import model_warned
from ._parts import text_part
from ._request_estimate import RequestEstimate, estimate_request
from ._retry import RetryPolicy
from ._twins import twin_of
from ._types import InputAudioPart
from ._usage import UsageReport, usage_html

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion

__all__ = ["AsyncAudioChat", "AudioChat", "ChatOptions", "ChatTurn", "audio_chat", "audio_chat_async"]

_POSITIONAL = ("client", "audio")


@dataclass(frozen=True)
class ChatTurn:
    """One question of a chat and its answer."""

    question: str
    answer: Answer


@dataclass(frozen=True, kw_only=True)
class ChatOptions:
    """The options of a chat: each question's :class:`AskOptions`, and whether follow-ups carry
    the history. Checked when built."""

    ask: AskOptions
    history: bool = False
    """False: every question is asked on its own after the audio. True: earlier questions and
    answers are sent too, after the audio."""

    def __post_init__(self) -> None:
        check_bool(self.history, option="history")

    @classmethod
    def from_call(cls, arguments: Mapping[str, Any]) -> ChatOptions:
        """From ``audio_chat``'s ``locals()`` or its twin's keywords."""
        ask_arguments = {k: v for k, v in arguments.items() if k != "history"}
        return cls(
            ask=AskOptions.from_call(ask_arguments, positional=_POSITIONAL),
            history=arguments.get("history", False),
        )


class _Conversation:
    """What the sync and async chats share: the audio (encoded once), the turns, the messages."""

    def __init__(self, audio: AudioInput, options: ChatOptions) -> None:
        check_audio_model(options.ask.model)
        self.options = options
        built = audio_parts(audio, options.ask)
        self.parts: tuple[InputAudioPart, ...] = tuple(part for part, _ in built)
        self.infos: tuple[AudioInfo | None, ...] = tuple(info for _, info in built)
        self._probed = [(part["input_audio"]["data"], info) for part, info in built if info is not None]
        self.turns: list[ChatTurn] = []

    def request(self, question: str) -> tuple[dict[str, Any], RequestEstimate]:
        """The ``create`` arguments for ``question``: the same prefix as every other turn."""
        check_question(question)
        ask = self.options.ask
        messages: list[Any] = []
        if ask.system:
            messages.append({"role": "system", "content": ask.system})
        if self.options.history and self.turns:
            first, *later = self.turns
            messages.append(user_message(*self.parts, text_part(first.question)))
            messages.append({"role": "assistant", "content": first.answer.text})
            for turn in later:
                messages.append(user_message(text_part(turn.question)))
                messages.append({"role": "assistant", "content": turn.answer.text})
            messages.append(user_message(text_part(question)))
        else:
            messages.append(user_message(*self.parts, text_part(question)))
        with model_warned(ask.model):  # checked (and warned) when the chat was made
            estimate = estimate_request(
                messages,
                model=ask.model,
                max_completion_tokens=ask.max_completion_tokens,
                limits=ask.limits,
                probed=self._probed,
            )
        return create_kwargs(ask, messages), estimate

    def finish(self, question: str, completion: ChatCompletion, estimate: RequestEstimate) -> Answer:
        answer = Answer.from_completion(completion, estimate=estimate)
        if self.options.ask.check_audio:
            check_audio_heard(answer.usage, estimate)
        self.turns.append(ChatTurn(question, answer))
        return answer

    def usage(self) -> UsageReport:
        if not self.turns:
            return UsageReport.from_usage(None, model=self.options.ask.model)
        total = self.turns[0].answer.usage
        for turn in self.turns[1:]:
            total = total + turn.answer.usage
        return total

    def describe(self) -> str:
        durations = [i.duration_s for i in self.infos if i is not None]
        audio = f"{len(self.parts)} audio" if not durations else f"{sum(durations):,.1f} s of audio"
        names = ", ".join(i.source_name for i in self.infos if i is not None)
        return f"{names or audio} ({audio}), {len(self.turns)} question{'s' * (len(self.turns) != 1)}"


def _cost_line(usage: UsageReport, turns: int) -> str:
    """``3 questions: 375 audio tokens (250 cached), $0.000123; the cache saved $0.000034``."""
    saved = f"; the cache saved {money(usage.cache_saving_usd)}" if usage.cache_saving_usd else ""
    return (
        f"{turns} question{'s' * (turns != 1)}: {usage.audio_tokens:,} audio tokens "
        f"({usage.cached_tokens:,} prompt tokens cached), {money(usage.cost_usd)}{saved}"
    )


class _ChatView:
    """The reads a chat offers, sync or async."""

    _conversation: _Conversation

    @property
    def turns(self) -> tuple[ChatTurn, ...]:
        """Every question asked so far, with its answer, in order."""
        return tuple(self._conversation.turns)

    @property
    def answers(self) -> tuple[Answer, ...]:
        return tuple(t.answer for t in self._conversation.turns)

    @property
    def usage(self) -> UsageReport:
        """Summed over every turn: tokens (audio, cached, ...), ``cost_usd`` and
        ``cache_saving_usd``, from what MiMo reported."""
        return self._conversation.usage()

    @property
    def history(self) -> bool:
        return self._conversation.options.history

    def cost_line(self) -> str:
        """One line: questions, audio and cached tokens, cost, and what the cache saved."""
        return _cost_line(self.usage, len(self._conversation.turns))

    def messages(self, question: str) -> list[Any]:
        """The messages the next ``ask(question)`` would send (the audio as its data URI)."""
        kwargs, _ = self._conversation.request(question)
        messages: list[Any] = kwargs["messages"]
        return messages

    def __repr__(self) -> str:
        last = self._conversation.turns[-1].answer.text if self._conversation.turns else ""
        shown = f", last answer {short(last)!r}" if last else ""
        return f"{type(self).__name__}({self._conversation.describe()}, {money(self.usage.cost_usd)}{shown})"

    def _repr_html_(self) -> str:
        """Every question's answer side by side, the cost line and the summed usage."""
        turns = self._conversation.turns
        head = f"<p><b>{esc(self._conversation.describe())}</b></p>"
        if not turns:
            return head + "<p><i>no question asked yet: chat.ask(...)</i></p>"
        table = compare_answers([t.answer for t in turns], labels=[t.question for t in turns])
        line = f"<p>{esc(self.cost_line())}</p>"
        return head + table._repr_html_() + line + GAP + usage_html(self.usage, title="Usage (every turn)")


class AudioChat(_ChatView):
    """A conversation about one recording (see :func:`audio_chat`); ``ask`` asks the next question."""

    def __init__(self, client: OpenAI, conversation: _Conversation) -> None:
        self._client = client
        self._conversation = conversation

    def ask(self, question: str) -> Answer:
        """Ask ``question`` about the recording (the audio prefix is the same as every other turn)."""
        kwargs, estimate = self._conversation.request(question)
        completion = create_completion(self._client, retry=self._conversation.options.ask.retry, **kwargs)
        return self._conversation.finish(question, completion, estimate)


class AsyncAudioChat(_ChatView):
    """The async twin of :class:`AudioChat`: ``await chat.ask(question)``."""

    def __init__(self, client: AsyncOpenAI, conversation: _Conversation) -> None:
        self._client = client
        self._conversation = conversation

    async def ask(self, question: str) -> Answer:
        """Ask ``question`` about the recording (the audio prefix is the same as every other turn)."""
        kwargs, estimate = self._conversation.request(question)
        retry = self._conversation.options.ask.retry
        completion = await create_completion_async(self._client, retry=retry, **kwargs)
        return self._conversation.finish(question, completion, estimate)


def audio_chat(
    client: OpenAI,
    /,
    audio: AudioInput,
    *,
    history: bool = False,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    reasoning_effort: ReasoningEffort | None = None,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    convert: bool = False,
    check_audio: bool = True,
    **create_options: Any,
) -> AudioChat:
    """A conversation about one recording whose questions reuse MiMo's prompt cache.

    The audio is read, checked and encoded once, here (errors come now, before any request);
    each ``chat.ask(question)`` then sends the same system prompt and the same audio part,
    first, so from the second question on the audio is billed at the cache-hit price::

        chat = audio_chat(client, "meeting.m4a")
        chat.ask("Who is speaking?")
        chat.ask("What did they decide about the budget?")  # the same audio prefix: cached
        print(chat.cost_line())  # 2 questions: ... cached ..., $...; the cache saved $...

    Follow-ups are independent (``history=False``: each question after the audio alone), or
    carry the conversation (``history=True``). The options are :func:`ask`'s, for every turn.
    ``chat.usage`` sums every turn, with ``cached_tokens`` and ``cache_saving_usd`` as MiMo
    reported them.
    """
    check_client(client, sync=True, call="audio_chat")
    return AudioChat(client, _Conversation(audio, ChatOptions.from_call(locals())))


@twin_of(audio_chat)
def audio_chat_async(client: AsyncOpenAI, audio: AudioInput, **options: Any) -> AsyncAudioChat:
    """The async twin of :func:`audio_chat`, for an ``openai.AsyncOpenAI``: ``await chat.ask(...)``."""
    check_client(client, sync=False, call="audio_chat_async")
    return AsyncAudioChat(client, _Conversation(audio, ChatOptions.from_call(options)))
