"""Looking models up in the table (``_config.MODELS``), with one warning for unknown ids.

``get_model(id)`` returns the ``ModelSpec``; an id the table does not know passes through
as an audio model with an ``UnknownModelWarning`` (MiMo moves faster than any table),
said once per public call (``model_warned``) and attributed to the user's line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ._checks import check_bool, check_str
from ._config import MODELS, ModelSpec
from ._exceptions import UnknownModelWarning
from ._warn import warn

__all__ = ["get_model", "model_warned", "warn_unknown_model"]

_WARNED_MODELS: ContextVar[frozenset[str]] = ContextVar("mimo_openai_ext_warned_models", default=frozenset())


@contextmanager
def model_warned(model_id: str) -> Iterator[None]:
    """Within this block ``warn_unknown_model(model_id)`` stays silent (already warned in this call)."""
    token = _WARNED_MODELS.set(_WARNED_MODELS.get() | {model_id})
    try:
        yield
    finally:
        _WARNED_MODELS.reset(token)


def warn_unknown_model(model_id: str) -> None:
    """``UnknownModelWarning`` for ``model_id``, attributed to the user's line.

    Silent inside ``model_warned(model_id)``, so one public call warns once.
    """
    if model_id in _WARNED_MODELS.get():
        return
    known = ", ".join(sorted(MODELS))
    warn(
        f"unknown MiMo model {model_id!r}: passing it through, assuming audio input, a "
        f"1,048,576-token context and no price (known: {known}); add it to "
        "mimo_openai_ext.MODELS to silence this",
        UnknownModelWarning,
    )


def get_model(model_id: str, *, warn: bool = True) -> ModelSpec:
    """Look up a model; an unknown id passes through as an audio model with a warning."""
    check_str(model_id, option="model")
    check_bool(warn, option="warn")
    spec = MODELS.get(model_id)
    if spec is not None:
        return spec
    if warn:
        warn_unknown_model(model_id)
    return ModelSpec(model_id, True, 1_048_576, status="unknown")
