"""The one retry layer, and the retried ``chat.completions.create`` under it.

``RetryPolicy`` is also at the top. ``set_testing(True)`` keeps your tests from sleeping;
``NO_RETRY`` is exactly one attempt; ``create_completion`` is ``create(...)`` under a policy.
"""

from __future__ import annotations

from ._client import create_completion, create_completion_async
from ._retry import NO_RETRY, RetryEvent, RetryPolicy, set_testing

__all__ = [
    "NO_RETRY",
    "RetryEvent",
    "RetryPolicy",
    "create_completion",
    "create_completion_async",
    "set_testing",
]
