"""The adapter's rules on their own: the body splitter, the SSE rewriter, the JSON answer.

The splitter and the rewriter parse untrusted bytes, so Hypothesis throws arbitrary JSON
and arbitrary chunkings at them. The transport tests at the end use a stand-in upstream
(``MockTransport`` or a gated stream): what is tested is our wrapper, not the server.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from typing import Any

import openai
import pytest
from _audio import encode_tone
from _shapes import AUDIO, openai_part
from hypothesis import given, settings
from hypothesis import strategies as st

from mimo_openai_ext import AdapterOptions, input_audio_part
from mimo_openai_ext._adapter._body import split_body
from mimo_openai_ext._adapter._rules import Exchange, SseRewriter, rewrite_chat_request, rewrite_completion
from mimo_openai_ext.adapter import default_library, mimo_http_client, mimo_transport

LIB = importlib.import_module(default_library())

long_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=4096, max_size=6000)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | long_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(json_values, st.booleans())
def test_a_split_body_renders_back_to_the_same_json(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    split = split_body(body)
    rendered = b"".join(bytes(piece) for piece in split.render(split.tree))
    assert json.loads(rendered) == value


def test_long_strings_are_set_aside_not_parsed() -> None:
    data_uri = input_audio_part(AUDIO["wav"]())["input_audio"]["data"]
    body = json.dumps({"a": data_uri, "b": "x" * 5000, "c": "\\" * 5000, "d": "short"}).encode()
    split = split_body(body)
    assert len(split.blobs) == 2  # the escaped one stays in the skeleton
    assert split.tree["a"].startswith("data:audio/wav;base64,")  # the head is kept for the rules
    assert split.blob(split.tree["a"]).raw.tobytes() == data_uri.encode()  # a view, not a copy
    assert split.blob(split.tree["d"]) is None
    assert split.tree["c"] == "\\" * 5000


@pytest.mark.parametrize("body", [b"", b"not json", b'{"a": "unterminated', b"[1, 2"])
def test_a_body_that_is_not_json_is_sent_as_it_is(body: bytes) -> None:
    out = rewrite_chat_request(body, AdapterOptions(), Exchange("chat"))
    assert out.pieces is None


def test_a_small_openai_part_is_converted_by_the_shared_converter() -> None:
    data = encode_tone(0.05)  # 1,644 bytes: its base64 is short enough to stay in the skeleton
    body = json.dumps({"messages": [{"role": "user", "content": [openai_part(data, "wav")]}]}).encode()
    assert split_body(body).blobs == {}
    out = rewrite_chat_request(body, AdapterOptions(), Exchange("chat"))
    assert out.pieces is not None
    sent = json.loads(b"".join(bytes(p) for p in out.pieces))
    assert sent["messages"][0]["content"][0] == input_audio_part(data)


def _events(*chunks: dict[str, Any], done: bool = True) -> bytes:
    out = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return out + (b"data: [DONE]\n\n" if done else b"")


def _chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    return {
        "id": "x",
        "model": "mimo-v2.6-flash",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


REASONING_ONLY = _events(
    _chunk({"role": "assistant", "content": ""}),
    _chunk({"reasoning_content": "the answer "}),
    _chunk({"reasoning_content": "is 42"}),
    _chunk({}, "stop"),
    {
        "id": "x",
        "model": "mimo-v2.6-flash",
        "choices": [],
        "usage": {"prompt_tokens_details": {"audio_tokens": 7}},
    },
)


def _parsed(stream: bytes) -> list[Any]:
    events = [e for e in stream.replace(b"\r\n", b"\n").split(b"\n\n") if e.strip()]
    return [e[6:].decode() if e[6:] == b"[DONE]" else json.loads(e[6:]) for e in events]


def _content(events: list[Any]) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in events
        if isinstance(c, dict) and c.get("choices")
    )


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(REASONING_ONLY)), max_size=12), st.booleans())
def test_sse_rewriting_does_not_depend_on_how_the_stream_is_cut(cuts: list[int], crlf: bool) -> None:
    stream = REASONING_ONLY.replace(b"\n", b"\r\n") if crlf else REASONING_ONLY
    exchange = Exchange("chat")
    rewriter = SseRewriter(AdapterOptions(), exchange)
    out, start = b"", 0
    for cut in sorted({min(c, len(stream)) for c in cuts}):
        out += rewriter.feed(stream[start:cut])
        start = cut
    out += rewriter.feed(stream[start:]) + rewriter.close()
    events = _parsed(out)
    assert _content(events) == "the answer is 42"
    assert events[-1] == "[DONE]"
    finish = next(
        i
        for i, e in enumerate(events)
        if isinstance(e, dict) and e["choices"] and e["choices"][0]["finish_reason"]
    )
    assert _content(events[:finish]) == "the answer is 42"  # before the finish chunk
    assert exchange.audio_tokens == 7
    assert exchange.reasoning_copied


def test_sse_with_content_is_passed_through_unchanged() -> None:
    stream = _events(
        _chunk({"reasoning_content": "thinking"}), _chunk({"content": "Hello"}), _chunk({}, "stop")
    )
    rewriter = SseRewriter(AdapterOptions(), Exchange("chat"))
    assert rewriter.feed(stream) + rewriter.close() == stream


def test_sse_reasoning_of_each_choice_and_a_stream_without_finish() -> None:
    stream = _events(
        _chunk({"reasoning_content": "zero"}, index=0),
        _chunk({"reasoning_content": "one"}, index=1),
        _chunk({"content": "real"}, index=1),
        done=False,
    )
    rewriter = SseRewriter(AdapterOptions(), Exchange("chat"))
    events = _parsed(rewriter.feed(stream) + rewriter.close())
    added = [e for e in events[3:]]
    assert [(e["choices"][0]["index"], e["choices"][0]["delta"]) for e in added] == [(0, {"content": "zero"})]
    assert added[0]["id"] == "x"


def test_sse_keeps_reasoning_when_asked() -> None:
    rewriter = SseRewriter(AdapterOptions(reasoning_as_content=False), Exchange("chat"))
    assert rewriter.feed(REASONING_ONLY) + rewriter.close() == REASONING_ONLY


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"content": "", "reasoning_content": "R"}, "R"),
        ({"content": None, "reasoning_content": "R"}, "R"),
        ({"content": "  ", "reasoning_content": "R"}, "R"),
        ({"content": "C", "reasoning_content": "R"}, None),
        ({"content": "", "reasoning_content": ""}, None),
        ({"content": ""}, None),
    ],
)
def test_json_answers_follow_read_answer(message: dict[str, Any], expected: str | None) -> None:
    body = json.dumps({"model": "m", "choices": [{"index": 0, "message": message}]}).encode()
    new = rewrite_completion(body, AdapterOptions(), Exchange("chat"))
    if expected is None:
        assert new is None
    else:
        assert new is not None
        assert json.loads(new)["choices"][0]["message"]["content"] == expected


def test_audio_mimo_did_not_hear_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    answer = {
        "model": "mimo-v2.6-flash",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "I hear nothing"}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "prompt_tokens_details": {"audio_tokens": 0}},
    }

    def upstream(request: Any) -> Any:
        return LIB.Response(200, json=answer)

    http = LIB.Client(transport=mimo_transport(LIB.MockTransport(upstream)))
    client = openai.OpenAI(api_key="sk-test", base_url="http://mimo.test/v1", http_client=http, max_retries=0)
    with caplog.at_level(logging.WARNING, logger="mimo_openai_ext.adapter"):
        client.chat.completions.create(
            model="mimo-v2.6-flash",
            messages=[{"role": "user", "content": [openai_part(AUDIO["wav"](), "wav")]}],  # type: ignore[list-item]
        )
        client.chat.completions.create(
            model="mimo-v2.6-flash", messages=[{"role": "user", "content": "no audio"}]
        )
    warned = [r for r in caplog.records if r.name == "mimo_openai_ext.adapter"]
    assert len(warned) == 1  # only for the request that carried audio
    assert "audio_tokens=0 for 1 audio part(s)" in warned[0].getMessage()
    assert "mimo-v2.6-flash" in warned[0].getMessage()


def test_a_stream_is_passed_on_event_by_event() -> None:
    """The first event reaches the caller while the upstream still holds back the rest."""
    release = threading.Event()

    class Gated(LIB.SyncByteStream):  # type: ignore[misc]
        def __iter__(self) -> Any:
            yield b'data: {"id":"x","choices":[{"index":0,"delta":{"reasoning_content":"first"}}]}\n\n'
            assert release.wait(10), "the caller never got the first event"
            yield b'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
            yield b"data: [DONE]\n\n"

    def upstream(request: Any) -> Any:
        return LIB.Response(200, headers={"content-type": "text/event-stream"}, stream=Gated())

    http = LIB.Client(transport=mimo_transport(LIB.MockTransport(upstream)))
    client = openai.OpenAI(api_key="sk-test", base_url="http://mimo.test/v1", http_client=http, max_retries=0)
    stream = client.chat.completions.create(
        model="mimo-v2.6-flash", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = iter(stream)
    first = next(chunks)  # would hang (then fail) if the adapter read the whole answer first
    assert getattr(first.choices[0].delta, "reasoning_content", None) == "first"
    release.set()
    rest = [c.choices[0].delta.content for c in chunks if c.choices]
    assert "first" in rest  # the reasoning, as content, before the finish chunk


def test_mimo_http_client_picks_the_library_or_says_what_is_missing() -> None:
    for name in ("httpx", "httpx2"):
        try:
            lib = importlib.import_module(name)
        except ImportError:
            from mimo_openai_ext import MissingExtraError

            with pytest.raises(MissingExtraError, match=f"pip install {name}"):
                mimo_http_client(library=name)
            continue
        with mimo_http_client(library=name) as http:
            assert isinstance(http, lib.Client)
        assert isinstance(mimo_transport(lib.HTTPTransport()), lib.BaseTransport)


@settings(max_examples=100, deadline=None)
@given(
    st.binary(max_size=600),
    st.sampled_from(["multipart/form-data; boundary=xyz", "multipart/form-data", "text/plain"]),
)
def test_a_transcription_form_parses_or_is_refused_with_our_error(body: bytes, content_type: str) -> None:
    from mimo_openai_ext import MimoAudioError
    from mimo_openai_ext._adapter._transcriptions import parse_form

    framed = b"--xyz\r\n" + body + b"\r\n--xyz--\r\n"
    for candidate in (body, framed):
        try:
            form = parse_form(candidate, content_type)
        except MimoAudioError:
            continue
        assert form.model
        assert isinstance(form.data, bytes)


def test_a_transcription_form_as_the_sdk_sends_it() -> None:
    from mimo_openai_ext._adapter._transcriptions import parse_form

    lib = LIB
    request = lib.Request(
        "POST",
        "http://mimo.test/v1/audio/transcriptions",
        data={
            "model": "whisper-1",
            "language": "en",
            "temperature": "0.2",
            "timestamp_granularities[]": "word",
        },
        files={"file": ("memo.wav", b"RIFF....", "audio/wav")},
    )
    form = parse_form(request.read(), request.headers["content-type"])
    assert (form.filename, form.data, form.model) == ("memo.wav", b"RIFF....", "whisper-1")
    assert form.options == {"language": "en", "temperature": 0.2, "timestamp_granularities": ["word"]}
