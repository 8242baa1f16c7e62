"""Was the audio heard? The response's ``audio_tokens`` against the estimate made before the call.

MiMo ignores audio it cannot use silently (raw base64, a MIME that contradicts the bytes):
the answer is then invented. ``check_audio_heard(report, estimate)`` warns
``AudioNotHeardWarning`` when ``audio_tokens`` is 0 or far from the estimate.
"""

from __future__ import annotations

from ._checks import check_type
from ._exceptions import AudioNotHeardWarning
from ._request_estimate import RequestEstimate
from ._usage import UsageReport
from ._warn import warn as _warn

__all__ = ["check_audio_heard", "not_heard_message"]

_HEARD_RATIO = 0.5
"""``audio_tokens`` below half (or above twice) the estimate counts as "far"."""
_HEARD_SLACK_TOKENS = 12
"""Absolute slack (about two seconds) so very short clips do not warn on rounding."""


def not_heard_message(audio_parts: int, expectation: str = "") -> str:
    """What to say when MiMo reports ``audio_tokens`` 0 for a request that carried audio."""
    said = f" ({expectation})" if expectation else ""
    return (
        f"MiMo reports audio_tokens=0 for {audio_parts} audio part(s){said}: the audio was NOT heard "
        "and the answer may be invented"
    )


def check_audio_heard(report: UsageReport, estimate: RequestEstimate, *, warn: bool = True) -> str | None:
    """A message (and an ``AudioNotHeardWarning``) when the audio seems ignored, else None."""
    check_type(report, UsageReport, option="report", expected="a UsageReport (answer.usage)")
    check_type(estimate, RequestEstimate, option="estimate", expected="a RequestEstimate (answer.estimate)")
    if not estimate.audio or not report.audio_tokens_reported:
        return None
    expected = estimate.audio_tokens
    actual = report.audio_tokens
    problem = None
    if actual == 0:
        expectation = (
            f"expected about {expected}"
            if expected and not estimate.unknown_audio
            else "the estimate could not count them"
            if not expected
            else f"expected at least {expected}"
        )
        problem = not_heard_message(len(estimate.audio), expectation)
    elif expected and (
        actual < expected * _HEARD_RATIO - _HEARD_SLACK_TOKENS
        or (estimate.unknown_audio == 0 and actual > expected / _HEARD_RATIO + _HEARD_SLACK_TOKENS)
    ):
        problem = (
            f"MiMo reports audio_tokens={actual}, far from the estimated {expected} "
            f"({estimate.audio_duration_s:.1f} s of audio): part of the audio may not have been heard"
        )
    if problem is None:
        return None
    problem += (
        "; check each part is a data: URI whose MIME matches its bytes (build parts with input_audio_part(), "
        "or convert OpenAI-shaped messages with to_mimo_messages())"
    )
    if warn:
        _warn(problem, AudioNotHeardWarning)
    return problem
