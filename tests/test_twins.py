"""Sync and async twins take the same parameters, with the same names, kinds and defaults.

Most twins share their sync function's signature by construction (``_twins.twin_of``);
the rest are written out, and this is what keeps both kinds from drifting apart. The ask
options also keep the defaults of ``AskOptions``, the one place they are checked.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest

import mimo_openai_ext as m
from mimo_openai_ext._ask import ask_with, ask_with_async
from mimo_openai_ext._ask_request import AskOptions
from mimo_openai_ext._batch.engine import BatchOptions
from mimo_openai_ext._speech.plan import SpeakOptions
from mimo_openai_ext._speech.shim import _AsyncStreamingSpeech, _StreamingSpeech

PAIRS: list[tuple[Callable[..., Any], Callable[..., Any]]] = [
    (m.ask, m.ask_async),
    (m.ask, m.ask_stream),
    (m.ask, m.ask_stream_async),
    (ask_with, ask_with_async),
    (m.ask_across_chunks, m.ask_across_chunks_async),
    (m.ask_batch, m.ask_batch_async),
    (m.audio_chat, m.audio_chat_async),
    (m.transcribe, m.transcribe_async),
    (m.retry.create_completion, m.retry.create_completion_async),
    (m.streaming.stream_completion, m.streaming.stream_completion_async),
    (m.mimo_client, m.mimo_async_client),
    (m.mimo_http_client, m.mimo_async_http_client),
    (m.adapter.mimo_transport, m.adapter.mimo_async_transport),
    (m.migrate.MimoTranscriptions.create, m.migrate.AsyncMimoTranscriptions.create),
    (m.speak, m.speak_async),
    (m.migrate.MimoSpeech.create, m.migrate.AsyncMimoSpeech.create),
    (m.migrate.MimoSpeech.speak, m.migrate.AsyncMimoSpeech.speak),
    (m.migrate.MimoSpeech.create, _StreamingSpeech.create),
    (m.migrate.MimoSpeech.create, _AsyncStreamingSpeech.create),
]


def _shape(func: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    """(name, kind, default, annotation) of each parameter; the client's (or self's) type left out."""
    params = list(inspect.signature(func).parameters.values())
    shape = []
    for index, p in enumerate(params):
        annotation = None if index == 0 and p.name in ("client", "self") else p.annotation
        shape.append((p.name, p.kind, p.default, annotation))
    return shape


@pytest.mark.parametrize(("sync", "twin"), PAIRS, ids=lambda f: f.__qualname__)
def test_twins_take_the_same_parameters(sync: Callable[..., Any], twin: Callable[..., Any]) -> None:
    assert _shape(twin) == _shape(sync)


def test_a_drifted_twin_would_be_caught() -> None:
    def one(client: object, /, audio: str, *, model: str = "a") -> None: ...
    def other(client: object, /, audio: str, *, model: str = "b") -> None: ...

    assert _shape(one) != _shape(other)


def _defaults(func: Callable[..., Any]) -> dict[str, Any]:
    return {
        p.name: p.default
        for p in inspect.signature(func).parameters.values()
        if p.default is not inspect.Parameter.empty
    }


def _field_defaults(cls: type) -> dict[str, Any]:
    return {
        f.name: f.default for f in dataclasses.fields(cls) if f.init and f.default is not dataclasses.MISSING
    }


@pytest.mark.parametrize("func", [m.ask, m.ask_across_chunks, m.ask_batch], ids=lambda f: f.__name__)
def test_the_ask_options_keep_the_defaults_of_ask_options(func: Callable[..., Any]) -> None:
    options = _field_defaults(AskOptions)
    shared = {k: v for k, v in _defaults(func).items() if k in options}
    assert shared == {k: options[k] for k in shared}
    assert {"model", "thinking", "max_completion_tokens", "system"} <= shared.keys()


def test_ask_spells_out_every_ask_option() -> None:
    options = _field_defaults(AskOptions)
    assert _defaults(m.ask) == options


def test_speak_spells_out_every_speak_option() -> None:
    assert _defaults(m.speak) == _field_defaults(SpeakOptions)


def test_the_batch_options_keep_the_defaults_of_batch_options() -> None:
    options = _field_defaults(BatchOptions)
    batch = _defaults(m.ask_batch)
    assert {k: batch[k] for k in options} == options
