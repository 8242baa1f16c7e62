"""Batches: many recordings, paced under the RPM ceiling, durable and resumable.

``ask_batch`` / ``ask_batch_async`` and ``estimate_batch`` are also at the top; this module
adds the pieces for pacing several batches together and reading a results file back::

    from mimo_openai_ext.batch import RateLimiter, read_results
"""

from __future__ import annotations

from ._batch.ask import ask_batch, ask_batch_async
from ._batch.estimate import BatchEstimate, estimate_batch
from ._batch.identity import FileIdentity
from ._batch.inputs import CollectedSources, collect_sources
from ._batch.rate import RateLimiter
from ._batch.results import BatchResult, BatchResults
from ._batch.results_file import BatchErrorRecord, BatchRecord, ResumeState, read_results, resume_state

__all__ = [
    "BatchErrorRecord",
    "BatchEstimate",
    "BatchRecord",
    "BatchResult",
    "BatchResults",
    "CollectedSources",
    "FileIdentity",
    "RateLimiter",
    "ResumeState",
    "ask_batch",
    "ask_batch_async",
    "collect_sources",
    "estimate_batch",
    "read_results",
    "resume_state",
]
