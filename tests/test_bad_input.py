"""Every public entry point answers bad input with a ``MimoAudioError``, before any request.

Two walks: every public callable (the top namespace and the named submodules) with each
required argument replaced by an object of no use to it; then the main verbs with a valid
call whose options are spoiled one at a time. Either way only our errors come out (they may
also be ``TypeError``/``ValueError``), and the emulator sees no request.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _audio import encode_silence

import mimo_openai_ext as m
from mimo_openai_ext import MimoAudioError

SUBMODULES = (
    "adapter", "audio", "batch", "config", "doctor", "emulator", "migrate", "proxy", "retry", "streaming",
)  # fmt: skip


class _Useless:
    """Of no use to any parameter: not a str, path, number, buffer, mapping, client or callable."""

    def __repr__(self) -> str:
        return "<useless>"


USELESS = _Useless()

NOT_ENTRY_POINTS = {
    # types and aliases: nothing to call
    "AudioInput", "AudioSource", "AsrLanguage", "AudioFormat", "TranscriptionFile",
    "InputAudio", "InputAudioPart", "TextPart", "BatchRecord", "BatchErrorRecord", "FileIdentity",
    # results and records the library builds (plain frozen data, never validated input)
    "AcrossChunksAnswer", "Answer", "AudioChunk", "AudioEstimate", "AudioInfo", "BatchEstimate",
    "BatchResult", "BatchResults", "ChunkAnswer", "FittedAudio", "RequestEstimate", "Transcript",
    "UsageReport", "SniffResult", "SourceAudioInfo", "RetryEvent", "StreamDelta", "RequestRecord",
    "AnswerStream", "AsyncAnswerStream", "AsyncStreamStarter", "EmulatorHandle", "AudioLimitCheck",
    "CollectedSources", "ResumeState", "AnswersTable", "Plot", "Segment", "TranscribeProgress",
    "AudioChat", "AsyncAudioChat", "ChatTurn",
    "DoctorReport", "ProbeResult", "ProbeName",
    "Exchange", "ProxyHandle",
    "Speech", "SpeechStreamResponse", "AsyncSpeechStreamResponse",
    # plain tables of the config a user fills in
    "FormatSpec", "Limits", "ModelSpec", "Price", "TimeSpan", "Retirement", "AudioEvidence",
    "ReasoningEffort", "SpeechSpec", "SpeechFormat", "MimoSpeechFormat", "VoiceKind",
}  # fmt: skip


def _public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    seen: set[int] = set()
    for module in (m, *(getattr(m, name) for name in SUBMODULES)):
        for name in module.__all__:
            obj = getattr(module, name)
            if (
                isinstance(obj, types.ModuleType)
                or not callable(obj)
                or name in NOT_ENTRY_POINTS
                or (isinstance(obj, type) and issubclass(obj, BaseException))
                or id(obj) in seen
            ):
                continue
            seen.add(id(obj))
            yield f"{module.__name__}.{name}", obj


def _run(result: Any) -> Any:
    """Drive what a call returned far enough for it to have checked its arguments."""
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    if inspect.isgenerator(result):
        return list(result)
    if hasattr(result, "__enter__") and hasattr(result, "__exit__"):  # run_emulator(...)
        with result:
            return None
    return result


ENTRY_POINTS = dict(_public_callables())


def _required(func: Callable[..., Any]) -> tuple[list[Any], dict[str, Any]]:
    params = inspect.signature(func).parameters.values()
    positional = [
        p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    keywords = {p.name: USELESS for p in params if p.default is p.empty and p.kind is p.KEYWORD_ONLY}
    if not positional:
        positional = [p for p in params if p.kind is p.VAR_POSITIONAL]  # user_message(*parts)
    return [USELESS] * len(positional), keywords


WITH_REQUIRED = sorted(name for name, func in ENTRY_POINTS.items() if any(_required(func)))
"""The rest take no required argument: their options are walked below."""


@pytest.mark.parametrize("name", WITH_REQUIRED)
def test_useless_required_arguments_raise_our_error(name: str) -> None:
    args, kwargs = _required(ENTRY_POINTS[name])
    with pytest.raises(MimoAudioError):
        _run(ENTRY_POINTS[name](*args, **kwargs))


def test_every_entry_point_is_walked_one_way_or_the_other(wav: Path) -> None:
    walked = {name for name in ENTRY_POINTS if name in WITH_REQUIRED}
    options = {
        f"{func.__module__}.{func.__qualname__}"
        for func, _, _ in _valid_calls(wav, m.mimo_client(api_key="sk-x"), None).values()
    }
    rest = {name for name, func in ENTRY_POINTS.items() if name not in walked}
    by_function = {name: f"{func.__module__}.{func.__qualname__}" for name, func in ENTRY_POINTS.items()}
    assert {name for name in rest if by_function[name] not in options} == {
        "mimo_openai_ext.sample_audio_path",
        "mimo_openai_ext.adapter.default_library",
    }
    assert inspect.signature(m.sample_audio_path).parameters == {}  # nothing to spoil
    assert inspect.signature(m.adapter.default_library).parameters == {}


def test_the_walk_covers_the_main_verbs() -> None:
    assert {
        "mimo_openai_ext.ask",
        "mimo_openai_ext.ask_batch",
        "mimo_openai_ext.transcribe",
    } <= ENTRY_POINTS.keys()
    assert {"mimo_openai_ext.audio.sniff_audio", "mimo_openai_ext.batch.read_results"} <= ENTRY_POINTS.keys()
    assert len(ENTRY_POINTS) >= 40


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "clip.wav"
    path.write_bytes(encode_silence(1.0))
    return path


def _valid_calls(
    wav: Path, client: Any, async_client: Any
) -> dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    w = str(wav)
    return {
        "ask": (m.ask, (client, w, "q"), {}),
        "ask_async": (m.ask_async, (async_client, w, "q"), {}),
        "ask_stream": (m.ask_stream, (client, w, "q"), {}),
        "ask_stream_async": (m.ask_stream_async, (async_client, w, "q"), {}),
        "ask_across_chunks": (m.ask_across_chunks, (client, w, "q"), {}),
        "audio_chat": (m.audio_chat, (client, w), {}),
        "audio_chat_async": (m.audio_chat_async, (async_client, w), {}),
        "plot_audio": (m.plot_audio, (w,), {}),
        "ask_batch": (m.ask_batch, (client, [w], "q"), {}),
        "ask_batch_async": (m.ask_batch_async, (async_client, [w], "q"), {}),
        "transcribe": (m.transcribe, (client, w), {}),
        "input_audio_part": (m.input_audio_part, (w,), {}),
        "probe_audio": (m.probe_audio, (w,), {}),
        "fit_audio": (m.fit_audio, (w,), {}),
        "split_audio": (m.split_audio, (w,), {}),
        "estimate_request": (m.estimate_request, ([m.user_message(m.input_audio_part(w), "q")],), {}),
        "estimate_batch": (m.estimate_batch, ([w], "q"), {}),
        "estimate_audio_tokens": (m.estimate_audio_tokens, (1.0,), {}),
        "display_part": (m.display_part, (m.input_audio_part(w),), {}),
        "get_model": (m.get_model, (m.DEFAULT_MODEL,), {}),
        "check_model": (m.config.check_model, (m.DEFAULT_MODEL,), {}),
        "current_models": (m.config.current_models, (), {}),
        "models_markdown": (m.config.models_markdown, (), {}),
        "to_mimo_messages": (m.to_mimo_messages, ([],), {}),
        "to_mimo_request": (m.migrate.to_mimo_request, ({"messages": []},), {}),
        "read_answer": (m.read_answer, ({"choices": []},), {}),
        "encode_array": (m.audio.encode_array, (np.zeros(10, dtype="float32"),), {"sample_rate": 16000}),
        "RateLimiter": (m.batch.RateLimiter, (5,), {}),
        "RetryPolicy": (m.RetryPolicy, (), {}),
        "EmulatorOptions": (m.emulator.EmulatorOptions, (), {}),
        "transcriptions": (m.transcriptions, (client,), {}),
        "speak": (m.speak, (client, "Hello."), {}),
        "speak_async": (m.speak_async, (async_client, "Hello."), {}),
        "speech": (m.speech, (client,), {}),
        "speech create": (
            m.speech(client).create,
            (),
            {"model": "tts-1", "voice": "alloy", "input": "Hello."},
        ),
        "whisper create": (
            m.transcriptions(client).create,
            (),
            {"file": wav.read_bytes(), "model": "whisper-1"},
        ),
        "mimo_client": (m.mimo_client, (), {"api_key": "sk-x", "base_url": "http://127.0.0.1:9/v1"}),
        "mimo_async_client": (
            m.mimo_async_client,
            (),
            {"api_key": "sk-x", "base_url": "http://127.0.0.1:9/v1"},
        ),
        "set_testing": (m.retry.set_testing, (True,), {}),
        "run_emulator": (m.emulator.run_emulator, (), {}),
        "run_doctor": (m.doctor.run_doctor, (client,), {}),
        "start_emulator": (m.emulator.start_emulator, (), {}),
        "mimo_http_client": (m.mimo_http_client, (), {}),
        "mimo_async_http_client": (m.mimo_async_http_client, (), {}),
        "mimo_transport": (m.adapter.mimo_transport, (), {}),
        "mimo_async_transport": (m.adapter.mimo_async_transport, (), {}),
        "AdapterOptions": (m.AdapterOptions, (), {}),
        "ProxyOptions": (m.proxy.ProxyOptions, (), {}),
        "create_app": (m.proxy.create_app, (), {}),
        "start_proxy": (m.proxy.start_proxy, (), {}),
    }


# Options a useless object is a legal value of: free-form names and pass-through values.
ANY_VALUE = {("EmulatorOptions", "seed")}


def test_useless_options_raise_our_error_before_any_request(wav: Path, mimo_emulator: Any) -> None:
    client, async_client = mimo_emulator.client(), mimo_emulator.async_client()
    problems = []
    try:
        for label, (func, args, kwargs) in _valid_calls(wav, client, async_client).items():
            params = list(inspect.signature(func).parameters.values())
            for index, param in enumerate(params):
                takes = param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD)
                if not takes or index < len(args) or param.name in kwargs or (label, param.name) in ANY_VALUE:
                    continue
                try:
                    with m.retry.set_testing(True):  # restored, should a spoiled call get through
                        result = _run(func(*args, **{**kwargs, param.name: USELESS}))
                    if hasattr(result, "close") and label == "start_emulator":
                        result.close()
                except MimoAudioError:
                    continue
                except Exception as exc:
                    problems.append(f"{label}({param.name}=...): {type(exc).__name__}: {exc}")
                else:
                    problems.append(f"{label}({param.name}=...): accepted")
    finally:
        client.close()
        asyncio.run(async_client.close())
    assert problems == [], "\n".join(problems)
    assert mimo_emulator.completions() == []


@pytest.mark.parametrize(
    ("label", "options", "option", "said"),
    [
        ("mimo_client", {"api_key": 5}, "api_key", "must be a str"),
        ("mimo_client", {"api_key": "sk-x", "base_url": 5}, "base_url", "must be a str"),
        ("mimo_async_client", {"api_key": 5}, "api_key", "must be a str"),
        ("ask", {"temperature": float("nan")}, "temperature", "not a finite number"),
        ("ask", {"extra_body": {"top_p": float("inf")}}, "extra_body", "not a finite number"),
        ("ask", {"stream": True}, "stream", "ask_stream()"),
        ("ask", {"n": 2}, "n", "only n=1"),
        ("ask_async", {"stream": True}, "stream", "ask_stream()"),
        ("ask_stream", {"top_p": float("-inf")}, "top_p", "not a finite number"),
        ("ask_across_chunks", {"n": 3}, "n", "only n=1"),
        ("ask_stream_async", {"temperature": float("nan")}, "temperature", "not a finite number"),
        ("audio_chat", {"stream": True}, "stream", "ask_stream()"),
        ("ask", {"stream": 1}, "stream", "ask_stream()"),
    ],
)
def test_options_the_sdk_or_the_answer_cannot_take_are_refused_up_front(
    wav: Path, mimo_emulator: Any, label: str, options: dict[str, Any], option: str, said: str
) -> None:
    client, async_client = mimo_emulator.client(), mimo_emulator.async_client()
    try:
        func, args, kwargs = _valid_calls(wav, client, async_client)[label]
        with pytest.raises(m.InvalidOptionError, match=r"\b" + option + r"=") as caught:
            _run(func(*args, **{**kwargs, **options}))
    finally:
        client.close()
        asyncio.run(async_client.close())
    assert caught.value.option == option
    assert said in str(caught.value)
    assert mimo_emulator.completions() == []
