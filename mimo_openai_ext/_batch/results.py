"""What a batch returns: one ``BatchResult`` per item (in input order) in ``BatchResults``.

Each result holds the plain record that its JSONL line holds (source, answer, usage,
cost, error) and, when it ran in this process and succeeded, the rich ``Answer``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from .._answer import Answer, answer_html
from .._audio.source import AudioSource
from .._exceptions import MissingExtraError
from .._format import esc, grid, money, snippet, usd_text
from .._plot import Panel, Plot, scatter_plot
from .._redact import mask, secrets_for
from .._usage import UsageReport
from .results_file import BatchErrorRecord, BatchRecord

if TYPE_CHECKING:
    import pandas

__all__ = [
    "BatchResult",
    "BatchResults",
    "batch_results_html",
    "error_record",
    "make_record",
    "source_label",
    "without_source",
]


@dataclass(frozen=True)
class BatchResult:
    """One item of a batch: its record (what the JSONL line holds) and the rich answer.

    ``answer`` is ``None`` for a failed item and for one read back from a results file
    (``resumed``); ``record`` is always there.
    """

    record: BatchRecord
    answer: Answer | None = field(default=None, repr=False)
    resumed: bool = False
    exception: BaseException | None = field(default=None, repr=False, compare=False)
    """The exception a failed item raised (not for resumed items)."""

    @property
    def index(self) -> int:
        return self.record["index"]

    @property
    def source(self) -> str:
        return self.record["source"]

    @property
    def ok(self) -> bool:
        return self.record["error"] is None

    @property
    def text(self) -> str | None:
        return self.record["answer"]

    @property
    def error(self) -> BatchErrorRecord | None:
        return self.record["error"]

    @property
    def cost_usd(self) -> float | None:
        return self.record["cost_usd"]

    @property
    def duration_s(self) -> float | None:
        """The audio's duration in seconds, when it was known."""
        return self.record.get("duration_s")

    @property
    def usage(self) -> UsageReport | None:
        """The usage report (rebuilt from the record for a resumed item); None if failed."""
        if self.answer is not None:
            return self.answer.usage
        data = self.record["usage"]
        if data is None:
            return None
        try:
            return UsageReport(**data)
        except TypeError:  # a record from another version of the library
            return None

    def tokens(self, kind: str = "total_tokens") -> int:
        """A token count from the usage (``prompt_tokens``, ``audio_tokens``, ...); 0 if failed."""
        usage = self.record["usage"] or {}
        return int(usage.get(kind, 0))

    def __repr__(self) -> str:
        state = "ok" if self.error is None else f"failed: {self.error['type']}"
        text = self.text or ""
        short = text if len(text) <= 60 else text[:57] + "..."
        return f"BatchResult(#{self.index} {self.source!r}, {state}, {short!r})"

    def _repr_html_(self) -> str:
        return _grid([self]) + (answer_html(self.answer) if self.answer is not None else "")


@dataclass(frozen=True)
class BatchResults(Sequence[BatchResult]):
    """Every item's result, in input order, with totals."""

    results: tuple[BatchResult, ...]
    elapsed_s: float
    results_path: str | None = None

    @overload
    def __getitem__(self, index: int) -> BatchResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[BatchResult]: ...
    def __getitem__(self, index: int | slice) -> BatchResult | Sequence[BatchResult]:
        return self.results[index]

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[BatchResult]:
        return iter(self.results)

    @property
    def succeeded(self) -> tuple[BatchResult, ...]:
        return tuple(r for r in self.results if r.ok)

    @property
    def failed(self) -> tuple[BatchResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def cost_usd(self) -> float:
        """The summed cost of every item with a known cost (resumed ones included)."""
        return sum(r.cost_usd or 0.0 for r in self.results)

    def tokens(self, kind: str = "total_tokens") -> int:
        """A summed token count (``prompt_tokens``, ``audio_tokens``, ``completion_tokens``...)."""
        return sum(r.tokens(kind) for r in self.results)

    def records(self) -> list[BatchRecord]:
        """The plain records, in input order (ready for ``json`` or a DataFrame)."""
        return [r.record for r in self.results]

    def plot(self) -> Plot:
        """Audio duration against tokens against cost: one dot per answered item (SVG, for Jupyter).

        Failed items and items of unknown duration (URLs) have no dot; an unpriced model has no
        cost panel. Needs matplotlib (the ``jupyter`` extra).
        """
        drawn = [r for r in self.results if r.ok and r.duration_s is not None]
        durations = tuple(float(r.duration_s or 0.0) for r in drawn)
        x = "audio duration (s)"
        panels = [
            Panel(
                x,
                "tokens",
                (
                    ("audio tokens", durations, tuple(float(r.tokens("audio_tokens")) for r in drawn)),
                    ("total tokens", durations, tuple(float(r.tokens("total_tokens")) for r in drawn)),
                ),
            )
        ]
        priced = [(d, r.cost_usd) for d, r in zip(durations, drawn, strict=True) if r.cost_usd is not None]
        if priced or not drawn:
            costs = (("cost", tuple(d for d, _ in priced), tuple(float(c or 0.0) for _, c in priced)),)
            panels.append(Panel(x, "cost per item", costs, money_y=True))
        left_out = len(self) - len(drawn)
        title = f"{len(drawn)} item{'s' * (len(drawn) != 1)}: duration, tokens and cost" + (
            f" ({left_out} failed or of unknown duration, not drawn)" if left_out else ""
        )
        return scatter_plot(panels, title=title, needed_by="BatchResults.plot()")

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per item, in input order: the columns of :meth:`to_pandas`.

        The usage is flattened into token columns and the error into ``error_type`` /
        ``error_message`` / ``error_status``; a failed item's token and cost cells are None
        (it used nothing that is known), never 0.
        """
        return [flat_row(r) for r in self.results]

    def to_pandas(self) -> pandas.DataFrame:
        """The results as a ``pandas.DataFrame``, one row per item (see :meth:`rows`).

        Token columns are nullable integers (``Int64``): a failed item shows ``<NA>``, not 0.
        pandas is optional: without it this raises :class:`MissingExtraError` naming the
        ``jupyter`` extra.
        """
        try:
            import pandas
        except ImportError as exc:
            raise MissingExtraError.for_module(
                "pandas", extra="jupyter", needed_by="BatchResults.to_pandas()"
            ) from exc
        frame = pandas.DataFrame(self.rows(), columns=list(ROW_COLUMNS))
        return frame.astype({name: "Int64" for name in (*TOKEN_COLUMNS, "error_status")})

    def __repr__(self) -> str:
        return (
            f"BatchResults({len(self)} items: {len(self.succeeded)} ok, {len(self.failed)} failed, "
            f"{self.tokens():,} tokens, {usd_text(self.cost_usd)}, {self.elapsed_s:.1f} s)"
        )

    def _repr_html_(self) -> str:
        return batch_results_html(self)


def source_label(source: AudioSource, index: int) -> str:
    """How a source is named in results: the path or URL as given, else ``<bytes #N>``."""
    if isinstance(source, os.PathLike):
        return os.fspath(source)
    if isinstance(source, str):
        return f"<data URI #{index}>" if source[:5].lower() == "data:" else source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<bytes #{index}>"
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else f"<file #{index}>"


def without_source(message: str, source: str, *names: str | None) -> str:
    """``message`` without the source name it starts with, for a line that names it already."""
    for name in (source, os.path.basename(source), *names):
        if name and message.startswith(f"{name}: "):
            return message[len(name) + 2 :]
    return message


def error_record(exc: BaseException, *, secrets: Sequence[str | None] = ()) -> BatchErrorRecord:
    """Type, message and HTTP status; ``secrets`` (the client's key) masked in the message."""
    status = getattr(exc, "status_code", None)
    return {
        "type": type(exc).__name__,
        "message": mask(str(exc) or repr(exc), secrets_for(exc, secrets)),
        "status": status if isinstance(status, int) else None,
    }


def make_record(
    index: int,
    source: str,
    question: str,
    model: str,
    elapsed_s: float,
    answer: Answer | None,
    exc: BaseException | None,
    *,
    secrets: Sequence[str | None] = (),
) -> BatchRecord:
    """The JSONL record of one item: from its answer, or from the exception it raised."""
    estimate = None if answer is None else answer.estimate
    return {
        "index": index,
        "source": source,
        "question": question,
        "model": answer.model if answer is not None and answer.model else model,
        "answer": None if answer is None else answer.text,
        "reasoning": None if answer is None else answer.reasoning,
        "finish_reason": None if answer is None else answer.finish_reason,
        "duration_s": None
        if estimate is None or estimate.unknown_audio
        else round(estimate.audio_duration_s, 3),
        "usage": None if answer is None else answer.usage.to_dict(),
        "cost_usd": None if answer is None else answer.usage.cost_usd,
        "error": None if exc is None else error_record(exc, secrets=secrets),
        "elapsed_s": round(elapsed_s, 3),
    }


# -- Tables ----------------------------------------------------------------------------

TOKEN_COLUMNS = (
    "prompt_tokens", "audio_tokens", "cached_tokens", "text_tokens", "reasoning_tokens",
    "completion_tokens", "total_tokens",
)  # fmt: skip
"""The usage's token counts, flattened into columns of their own."""
ROW_COLUMNS = (
    "index", "source", "question", "model", "ok", "resumed", "duration_s", *TOKEN_COLUMNS,
    "cost_usd", "cache_saving_usd", "answer", "finish_reason", "error_type", "error_message",
    "error_status", "elapsed_s", "reasoning",
)  # fmt: skip


def flat_row(result: BatchResult) -> dict[str, Any]:
    """One item as flat columns (``ROW_COLUMNS``); a failed item's tokens and cost are None."""
    record = result.record
    usage = record["usage"]
    error = record["error"]
    row: dict[str, Any] = {
        "index": record["index"],
        "source": record["source"],
        "question": record["question"],
        "model": record["model"],
        "ok": result.ok,
        "resumed": result.resumed,
        "duration_s": record.get("duration_s"),
    }
    row.update({name: None if usage is None else usage.get(name) for name in TOKEN_COLUMNS})
    row.update(
        cost_usd=record["cost_usd"],
        cache_saving_usd=None if usage is None else usage.get("cache_saving_usd"),
        answer=record["answer"],
        finish_reason=record["finish_reason"],
        error_type=None if error is None else error["type"],
        error_message=None if error is None else error["message"],
        error_status=None if error is None else error["status"],
        elapsed_s=record["elapsed_s"],
        reasoning=record["reasoning"],
    )
    return row


# -- Jupyter ---------------------------------------------------------------------------

_HEADER = ("#", "source", "status", "duration s", "audio tokens", "total tokens", "cost", "answer / error")


def _row(result: BatchResult, folder: str = "") -> tuple[object, ...]:
    record = result.record
    if result.ok:
        status = "resumed" if result.resumed else "ok"
        outcome = snippet(record["answer"])
    else:
        error = record["error"] or {"type": "?", "message": "", "status": None}
        status = f"failed ({error['status']})" if error["status"] else "failed"
        outcome = f"{error['type']}: {snippet(error['message'])}"
    duration = record.get("duration_s")
    return (
        record["index"],
        (_relative(record["source"], folder), record["source"]),
        status,
        "" if duration is None else f"{duration:.2f}",
        f"{result.tokens('audio_tokens'):,}",
        f"{result.tokens('total_tokens'):,}",
        "" if record["cost_usd"] is None else money(record["cost_usd"]),
        outcome,
    )


def _grid(results: Sequence[BatchResult], folder: str = "") -> str:
    return grid(_HEADER, (_row(r, folder) for r in results), align="rnnrrrr")


def _common_folder(sources: Sequence[str]) -> str:
    """The folder every local path shares ("" when there is none worth dropping)."""
    paths = [s for s in sources if os.path.isabs(s)]
    if len(paths) != len(sources) or not paths:
        return ""
    try:
        folder = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # different drives
        return ""
    return "" if folder == os.path.dirname(folder) else folder  # keep "/" and "C:\\" out


def _relative(source: str, folder: str) -> str:
    return os.path.relpath(source, folder) if folder else source


def batch_results_html(results: BatchResults) -> str:
    """A batch: totals, then one row per item in input order."""
    ok = len(results.succeeded)
    folder = _common_folder([r.source for r in results])
    summary = (
        f"<p><b>{len(results)} items</b>: {ok} ok, {len(results) - ok} failed · "
        f"{results.tokens():,} tokens ({results.tokens('audio_tokens'):,} audio) · "
        f"{esc(money(results.cost_usd))} · {results.elapsed_s:.1f} s"
        + (f" · results: {esc(results.results_path)}" if results.results_path else "")
        + (f"<br>sources in <code>{esc(folder)}</code> (hover a name for its full path)" if folder else "")
        + "</p>"
    )
    return summary + _grid(results.results, folder)
