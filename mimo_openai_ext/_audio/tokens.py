"""Token and size arithmetic, before anything is sent.

MiMo's audio page: tokens ~= duration in seconds x 6.25 (a 25 Hz tokenizer, four
frames a token). The response's ``usage.prompt_tokens_details.audio_tokens`` is the
authority; these are estimates for planning.
"""

from __future__ import annotations

import math

from .._checks import check_limits
from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import InvalidOptionError, InvalidTypeError

__all__ = ["estimate_audio_tokens"]


def estimate_audio_tokens(duration_s: float, *, limits: Limits | None = None) -> int:
    """Audio tokens MiMo will count for ``duration_s`` seconds: ``ceil(duration_s * 6.25)``.

    The rate is :attr:`Limits.audio_tokens_per_second`; pass ``limits`` to override it.
    """
    check_limits(limits)
    if isinstance(duration_s, bool) or not isinstance(duration_s, (int, float)):
        raise InvalidTypeError(
            f"duration_s={duration_s!r}: must be a number of seconds, not a {type(duration_s).__name__}",
            option="duration_s",
        )
    if not math.isfinite(duration_s) or duration_s < 0:
        raise InvalidOptionError(
            f"duration_s={duration_s!r}: must be a finite number of seconds >= 0 (a clip's length, "
            "e.g. probe_audio(path).duration_s)",
            option="duration_s",
        )
    rate = (limits or DEFAULT_LIMITS).audio_tokens_per_second
    # Round away float noise first: 0.16 s * 6.25 is 1.0000000000000002, which is 1 token.
    return math.ceil(round(duration_s * rate, 9))
