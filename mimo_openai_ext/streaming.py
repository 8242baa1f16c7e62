"""Streamed answers: text and reasoning deltas kept apart, the whole ``Answer`` at the end.

``ask_stream`` / ``ask_stream_async`` (at the top) return these; ``stream_completion`` streams
any ``create(...)`` keyword arguments the same way.
"""

from __future__ import annotations

from ._streaming import (
    AnswerStream,
    AsyncAnswerStream,
    AsyncStreamStarter,
    StreamDelta,
    stream_completion,
    stream_completion_async,
)

__all__ = [
    "AnswerStream",
    "AsyncAnswerStream",
    "AsyncStreamStarter",
    "StreamDelta",
    "stream_completion",
    "stream_completion_async",
]
