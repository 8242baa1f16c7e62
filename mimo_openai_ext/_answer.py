"""Reading MiMo's answer out of a completion.

MiMo puts its thinking in ``message.reasoning_content`` and, in its own audio example,
the whole answer too (``content`` is ``""``): ``read_answer`` reads ``content`` and falls
back to ``reasoning_content``. A cut answer (``finish_reason`` ``length`` or MiMo's
``repetition_truncation``) warns ``TruncatedAnswerWarning``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._checks import check_bool, check_str, check_type
from ._exceptions import InvalidOptionError, InvalidTypeError, TruncatedAnswerWarning
from ._format import GAP, Number, details, esc, grid, heading, money, pre, short
from ._request_estimate import RequestEstimate, estimate_html
from ._response import check_completion, field_of
from ._usage import UsageReport, usage_html
from ._warn import warn

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionMessage

__all__ = [
    "TRUNCATED_FINISH_REASONS",
    "Answer",
    "AnswersTable",
    "answer_html",
    "compare_answers",
    "read_answer",
    "read_reasoning",
    "warn_if_truncated",
]

TRUNCATED_FINISH_REASONS = frozenset({"length", "repetition_truncation"})


def _first_choice(completion: ChatCompletion | Mapping[str, Any]) -> Any:
    choices = field_of(completion, "choices")
    return choices[0] if choices else None


def _message(completion: ChatCompletion | Mapping[str, Any]) -> Any:
    choice = _first_choice(completion)
    return None if choice is None else field_of(choice, "message")


_EXPECTED = (
    "what chat.completions.create() returned (a ChatCompletion, or its model_dump() dict), or "
    "one message of it (completion.choices[0].message)"
)


def _kind(obj: object) -> str:
    """``"completion"``, ``"message"``, or an :class:`InvalidTypeError` saying what was expected.

    Only what reads unambiguously is accepted: a completion (it has ``choices``) or a chat
    message (an SDK ``ChatCompletionMessage``, or a dict with a ``role``). A stream, a stream
    chunk, another library's message or anything else would read as an empty answer.
    """
    if isinstance(obj, Mapping):
        if "choices" in obj and obj.get("object") != "chat.completion.chunk":
            return "completion"
        if "role" in obj and "delta" not in obj:
            return "message"
    else:
        name = type(obj).__name__
        if name == "ChatCompletion" or (name != "ChatCompletionChunk" and _is_sdk(obj, "choices")):
            return "completion"
        if name == "ChatCompletionMessage" or _is_sdk(obj, "role"):
            return "message"
    raise InvalidTypeError(f"expected {_EXPECTED}; got {_describe(obj)}", option="completion")


def _is_sdk(obj: object, field: str) -> bool:
    """An object of the openai SDK's own types holding ``field``."""
    return type(obj).__module__.split(".")[0] == "openai" and hasattr(obj, field)


def _describe(obj: object) -> str:
    name = type(obj).__name__
    if name in ("Stream", "AsyncStream") or hasattr(obj, "__next__") or hasattr(obj, "__anext__"):
        return (
            f"a {name} (a streamed response): iterate it to the end, or use ask_stream(), whose "
            "answer() reads the whole answer"
        )
    if name == "ChatCompletionChunk" or (isinstance(obj, Mapping) and "delta" in str(obj.get("choices"))):
        return "one chunk of a stream: read the whole stream with ask_stream() instead"
    if hasattr(obj, "content") and not isinstance(obj, (str, bytes)):
        return (
            f"a {type(obj).__module__.split('.')[0]}.{name} (another library's message): read its "
            "own content there, or pass the openai SDK's completion or message"
        )
    shown = repr(obj)
    return f"a {name} ({shown[:57] + '...' if len(shown) > 60 else shown})"


def _message_of(obj: object) -> tuple[Any, Any]:
    """(the message, the completion or None) of a completion or a message."""
    if _kind(obj) == "message":
        return obj, None
    return _message(obj), obj  # type: ignore[arg-type]


def _text_field(message: Any, name: str) -> str:
    value = None if message is None else field_of(message, name)
    return value if isinstance(value, str) else ""


def read_reasoning(completion: ChatCompletion | ChatCompletionMessage | Mapping[str, Any]) -> str:
    """``message.reasoning_content`` of the first choice, or ``""`` (an SDK object or a dict).

    Takes a completion or one message; anything else is an :class:`InvalidTypeError`.
    """
    message, _ = _message_of(completion)
    return _text_field(message, "reasoning_content")


def _finish_reason(completion: ChatCompletion | Mapping[str, Any]) -> str | None:
    choice = _first_choice(completion)
    reason = None if choice is None else field_of(choice, "finish_reason")
    return str(reason) if reason is not None else None


def warn_if_truncated(finish_reason: str | None, *, completion_tokens: int | None = None) -> bool:
    """Warn ``TruncatedAnswerWarning`` for ``length`` / ``repetition_truncation``; True if cut."""
    if finish_reason not in TRUNCATED_FINISH_REASONS:
        return False
    used = f" after {completion_tokens} completion tokens" if completion_tokens is not None else ""
    if finish_reason == "length":
        advice = "raise max_completion_tokens, or turn thinking off (thinking=False / --no-thinking)"
    else:
        advice = "MiMo stopped a repeating answer: rephrase the question or shorten the audio"
    warn(f"the answer was cut (finish_reason {finish_reason!r}{used}): {advice}", TruncatedAnswerWarning)
    return True


def answer_text(content: str, reasoning: str) -> tuple[str, bool]:
    """The answer text and whether it is the reasoning (``content`` blank, ``reasoning`` not)."""
    if content.strip() or not reasoning:
        return content, False
    return reasoning, True


def read_answer(
    completion: ChatCompletion | ChatCompletionMessage | Mapping[str, Any], *, warn: bool = True
) -> str:
    """The answer text: ``content``, or ``reasoning_content`` when ``content`` is empty.

    ``completion`` is what ``chat.completions.create`` returned (or the same as a plain
    dict), or one message of it (``completion.choices[0].message``). A stream, a chunk or
    another library's message is refused (:class:`InvalidTypeError`), never read as "".
    With ``warn``, a completion cut short warns ``TruncatedAnswerWarning``.
    """
    check_bool(warn, option="warn")
    message, whole = _message_of(completion)
    text, _ = answer_text(_text_field(message, "content"), _text_field(message, "reasoning_content"))
    if warn and whole is not None:
        usage = field_of(whole, "usage")
        tokens = None if usage is None else field_of(usage, "completion_tokens")
        warn_if_truncated(_finish_reason(whole), completion_tokens=tokens)
    return text


@dataclass(frozen=True)
class Answer:
    """One answer with its usage report and (when known) the pre-call estimate."""

    text: str
    """``content``, or ``reasoning_content`` when ``content`` was empty."""
    reasoning: str
    finish_reason: str | None
    model: str
    usage: UsageReport
    estimate: RequestEstimate | None = None
    id: str = ""
    text_from_reasoning: bool = False
    """True when ``content`` was empty and ``text`` is the reasoning."""

    @property
    def truncated(self) -> bool:
        return self.finish_reason in TRUNCATED_FINISH_REASONS

    @property
    def cost_usd(self) -> float | None:
        return self.usage.cost_usd

    @classmethod
    def from_completion(
        cls, completion: ChatCompletion, *, estimate: RequestEstimate | None = None, warn: bool = True
    ) -> Answer:
        """Read a completion (warns when it was truncated).

        A body that is not a chat completion (``{"error": ...}``, no ``choices``, a string)
        raises :class:`InvalidResponseError`, never an empty answer.
        """
        check_completion(completion)
        content = _text_field(_message(completion), "content")
        reasoning = read_reasoning(completion)
        model = completion.model or (estimate.model if estimate else "")
        return cls(
            text=read_answer(completion, warn=warn),
            reasoning=reasoning,
            finish_reason=_finish_reason(completion),
            model=model,
            usage=UsageReport.from_usage(completion.usage, model=model),
            estimate=estimate,
            id=completion.id,
            text_from_reasoning=answer_text(content, reasoning)[1],
        )

    def _repr_html_(self) -> str:  # Jupyter
        return answer_html(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (what ``mimo-audio ask --json`` prints)."""
        return {
            "id": self.id,
            "model": self.model,
            "text": self.text,
            "reasoning": self.reasoning,
            "finish_reason": self.finish_reason,
            "truncated": self.truncated,
            "text_from_reasoning": self.text_from_reasoning,
            "usage": self.usage.to_dict(),
            "cost_usd": self.usage.cost_usd,
            "estimate": self.estimate.to_dict() if self.estimate else None,
        }


def answer_html(answer: Answer) -> str:
    """An answer: the text, the reasoning folded in ``<details>``, and the usage table."""
    parts = [heading("Answer"), pre(answer.text) if answer.text else "<i>(empty answer)</i>"]
    if answer.truncated:
        parts.append(f"<p><b>Cut short</b> (finish_reason {esc(answer.finish_reason)})</p>")
    if answer.reasoning and not answer.text_from_reasoning:
        parts.append(details(f"Reasoning ({answer.usage.reasoning_tokens:,} tokens)", pre(answer.reasoning)))
    elif answer.text_from_reasoning:
        parts.append("<p><i>content was empty: the text above is MiMo's reasoning_content</i></p>")
    parts.append(GAP + usage_html(answer.usage))
    if answer.estimate is not None:
        estimate = answer.estimate
        summary = (
            f"Estimate before the call: {estimate.input_tokens:,} input tokens, "
            f"worst case {money(estimate.worst_case_cost_usd)}"
        )
        parts.append(details(summary, estimate_html(estimate)))
    return "".join(parts)


@dataclass(frozen=True)
class AnswersTable:
    """Several answers side by side: one column each, their text, tokens and cost in rows."""

    answers: tuple[Answer, ...]
    labels: tuple[str, ...]

    def rows(self) -> list[tuple[str, ...]]:
        """``(what, one cell per answer)`` rows, as the HTML table shows them."""
        usages = [a.usage for a in self.answers]

        def count(name: str) -> list[str]:
            return [f"{getattr(u, name):,}" for u in usages]

        return [
            ("answer", *(a.text for a in self.answers)),
            ("model", *(a.model for a in self.answers)),
            ("finish reason", *(a.finish_reason or "" for a in self.answers)),
            ("prompt tokens", *count("prompt_tokens")),
            ("· audio", *count("audio_tokens")),
            ("· cached", *count("cached_tokens")),
            ("completion tokens", *count("completion_tokens")),
            ("· reasoning", *count("reasoning_tokens")),
            ("cost", *(money(u.cost_usd) for u in usages)),
            ("saved by the cache", *(money(u.cache_saving_usd) for u in usages)),
        ]

    def __repr__(self) -> str:
        pairs = zip(self.labels, self.answers, strict=True)
        shown = ", ".join(f"{label}: {short(a.text, 30)!r}" for label, a in pairs)
        return f"AnswersTable({len(self.answers)} answers: {shown})"

    def _repr_html_(self) -> str:
        body = [
            (
                what,
                *(cell if what in ("answer", "model", "finish reason") else Number(cell) for cell in cells),
            )
            for what, *cells in self.rows()
        ]
        return grid(["", *self.labels], body, align="n")


def compare_answers(answers: Iterable[Answer], *, labels: Sequence[str] | None = None) -> AnswersTable:
    """Show several :class:`Answer` s side by side as one table (in Jupyter; ``repr`` elsewhere).

    Each answer gets a column, headed by its label (``labels``, one per answer; by default
    ``#1``, ``#2``, ...): its text, model, finish reason, token counts and cost.
    """
    if isinstance(answers, Answer):
        raise InvalidTypeError("compare_answers() takes a list of answers, not one Answer", option="answers")
    check_type(answers, Iterable, option="answers", expected="a list of Answer objects")
    items = tuple(answers)
    for answer in items:
        check_type(answer, Answer, option="answers[...]", expected="an Answer (what ask() returns)")
    if not items:
        raise InvalidOptionError("compare_answers() got no answers: pass a list of them", option="answers")
    if labels is None:
        names = tuple(f"#{i}" for i in range(1, len(items) + 1))
    else:
        if isinstance(labels, str):
            raise InvalidTypeError(
                f"labels={labels!r}: pass a list of strings, one per answer", option="labels"
            )
        check_type(labels, Sequence, option="labels", expected="a list of strings, one per answer")
        names = tuple(check_str(label, option="labels[...]", empty=True) for label in labels)
        if len(names) != len(items):
            raise InvalidOptionError(
                f"labels: got {len(names)} for {len(items)} answers; pass one label per answer",
                option="labels",
            )
    return AnswersTable(items, names)
