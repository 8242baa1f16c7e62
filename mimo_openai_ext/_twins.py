"""Sync and async twins share one signature, written once.

The sync function is written out in full: its signature is the one definition of its
parameters, names and defaults. Each twin (the async one, a streamed one) is declared
with ``@twin_of(sync)`` and takes ``(client, *args, **kwargs)``: it gets the very same
parameters, for type checkers (a ``ParamSpec``: only the client's type and the return
type are the twin's own) and for ``help()`` / ``inspect.signature`` (``__signature__``).
So the twins cannot drift apart; ``tests/test_twins.py`` checks every pair anyway.

The sync function's client must be positional-only (``def ask(client, /, audio, ...)``),
which is how every helper here takes it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Concatenate, TypeVar, cast

from typing_extensions import ParamSpec

__all__ = ["arguments_of", "same_signature", "twin_of"]

_P = ParamSpec("_P")
_C = TypeVar("_C")
_R = TypeVar("_R")


def twin_of(
    original: Callable[Concatenate[Any, _P], object],
) -> Callable[[Callable[Concatenate[_C, ...], _R]], Callable[Concatenate[_C, _P], _R]]:
    """Declare a twin of ``original``: its parameters, with the twin's own client and return types."""
    shared = inspect.signature(original)

    def declare(twin: Callable[Concatenate[_C, ...], _R]) -> Callable[Concatenate[_C, _P], _R]:
        own = inspect.signature(twin)
        client = next(iter(own.parameters.values()))
        first, *rest = shared.parameters.values()
        params = [first.replace(annotation=client.annotation), *rest]
        cast(Any, twin).__signature__ = shared.replace(
            parameters=params, return_annotation=own.return_annotation
        )
        return twin

    return declare


def arguments_of(original: Callable[..., object], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A twin's call as ``original`` would see it: every parameter by name, defaults applied.

    Arguments ``original`` would not take raise its own ``TypeError``.
    """
    bound = inspect.signature(original).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def same_signature(original: Callable[_P, object]) -> Callable[[Callable[..., _R]], Callable[_P, _R]]:
    """Declare a function that takes exactly ``original``'s parameters (its return type is its own)."""
    shared = inspect.signature(original)

    def declare(twin: Callable[..., _R]) -> Callable[_P, _R]:
        own = inspect.signature(twin)
        cast(Any, twin).__signature__ = shared.replace(return_annotation=own.return_annotation)
        return twin

    return declare
