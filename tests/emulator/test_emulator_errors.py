"""The emulator's errors: MiMo's statuses and body shape, as the openai SDK raises them."""

from __future__ import annotations

import dataclasses
import http.client
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from _audio import encode_tone
from _emulator_support import ask, audio_part, raw_post, uri

from mimo_openai_ext import DEFAULT_LIMITS, MODELS
from mimo_openai_ext._api_errors import api_error_hint
from mimo_openai_ext.emulator import EmulatorHandle, EmulatorOptions, run_emulator
from mimo_openai_ext.retry import NO_RETRY, create_completion

FORMAT_ERROR = "invalid audio format, only mp3/flac/m4a/wav/ogg are supported"


pytestmark = pytest.mark.sdk_retries(0)  # the SDK sends each request once: the log shows them all


def error_of(exc: pytest.ExceptionInfo[openai.APIStatusError]) -> dict[str, object]:
    body = exc.value.body
    assert isinstance(body, dict)
    assert set(body) == {"code", "message", "param", "type"}
    assert body["code"] == str(exc.value.status_code)
    return body


WAV = encode_tone(1.0)
FLAC = encode_tone(1.0, format="FLAC")

BAD_REQUESTS = {
    "unknown model": ({"model": "mimo-v9"}, "does not exist"),
    "max_completion_tokens over 131072": ({"max_completion_tokens": 131_073}, "max_completion_tokens"),
    "max_completion_tokens zero": ({"max_completion_tokens": 0}, "max_completion_tokens"),
    "n > 1": ({"n": 2}, "n is not supported"),
    "temperature above 1.5": ({"temperature": 1.6}, "temperature must be in [0, 1.5]"),
    "temperature below 0": ({"temperature": -0.1}, "temperature"),
    "audio without text": ({"messages": ask(audio_part(WAV))}, "`text` is not present"),
    "asr with flac": (
        {"model": "mimo-v2.5-asr", "messages": ask(audio_part(FLAC, "audio/flac"))},
        "not accepted",
    ),
    "asr with a URL": (
        {"model": "mimo-v2.5-asr", "messages": ask(audio_part("http://127.0.0.1:9/a.wav"))},
        "data: URI",
    ),
    "asr with two audios": (
        {"model": "mimo-v2.5-asr", "messages": ask(audio_part(WAV), audio_part(WAV))},
        "exactly one input_audio",
    ),
    "asr bad language": (
        {"model": "mimo-v2.5-asr", "messages": ask(audio_part(WAV)), "asr_options": {"language": "fr"}},
        "fr",
    ),
    "bad thinking": ({"thinking": {"type": "maybe"}}, "thinking"),
    "empty messages": ({"messages": []}, "messages"),
    "image part": ({"messages": ask({"type": "image_url", "image_url": {"url": "x"}}, "q")}, "image_url"),
    "not-public URL": (
        {"messages": ask(audio_part("https://example.com/a.wav"), "q")},
        "not publicly reachable",
    ),
    "unreachable loopback URL": (
        {"messages": ask(audio_part("http://127.0.0.1:9/a.wav"), "q")},
        "could not fetch",
    ),
    "malformed base64": ({"messages": ask(audio_part("data:audio/wav;base64,@@@@"), "q")}, "base64"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_bad_requests_are_400(client: openai.OpenAI, case: str) -> None:
    changes, detail = BAD_REQUESTS[case]
    request: dict[str, object] = {"model": "mimo-v2.6-flash", "messages": ask("q"), **changes}
    extra_body = {k: request.pop(k) for k in ("asr_options", "thinking") if k in request}
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(**request, extra_body=extra_body)  # type: ignore[call-overload]
    assert detail in str(error_of(exc)["param"])
    assert_no_library_advice(error_of(exc))


LIBRARY_WORDS = ("fit_audio", "split_audio", "input_audio_part", "user_message", "mimo-audio", "convert")


def assert_no_library_advice(body: dict[str, object]) -> None:
    """MiMo says what is wrong, never what this library offers: the client adds its own hints."""
    said = f"{body['message']} {body['param']}"
    assert [w for w in LIBRARY_WORDS if w in said] == [], said


def test_boundaries_are_accepted(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="mimo-v2.6-flash", messages=ask("q"), temperature=1.5, max_completion_tokens=131_072, n=1
    )
    assert completion.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("data", "mime", "detail"),
    [
        (WAV, "audio/mpeg", "labelled mp3 but the bytes are wav"),
        (encode_tone(1.0, format="MP3"), "audio/wav", "labelled wav but the bytes are mp3"),
        (WAV, "audio/webm", "'audio/webm' is not accepted"),
        (encode_tone(1.0, format="AIFF"), "audio/wav", ""),
    ],
)
def test_unsupported_or_mislabelled_audio(client: openai.OpenAI, data: bytes, mime: str, detail: str) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(audio_part(data, mime), "q"))
    body = error_of(exc)
    assert body["message"] == FORMAT_ERROR
    assert detail in str(body["param"])
    assert_no_library_advice(body)
    assert str(body["param"]).startswith("messages[0].content[0]")


def test_corrupt_audio_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(audio_part(WAV[:30]), "q"))
    assert "failed to decode" in str(error_of(exc)["message"])


def test_model_without_audio_input_is_404(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    # mimo-v2.5-pro never took audio; before its retirement MiMo answered audio with a 404.
    unretired = dataclasses.replace(MODELS["mimo-v2.5-pro"], retirement=None)
    mimo_emulator.configure(models={**MODELS, "mimo-v2.5-pro": unretired})
    with pytest.raises(openai.NotFoundError) as exc:
        client.chat.completions.create(model="mimo-v2.5-pro", messages=ask(audio_part(WAV), "q"))
    assert "does not support audio input" in str(error_of(exc)["param"])
    assert client.chat.completions.create(model="mimo-v2.5-pro", messages=ask("text is fine")).choices


def test_data_uri_over_the_limit_is_400() -> None:
    data_uri = uri(WAV)
    limits = dataclasses.replace(
        DEFAULT_LIMITS, max_data_uri_chars=len(data_uri) - 1, asr_max_data_uri_chars=100
    )
    with run_emulator(limits=limits) as emu, emu.client(max_retries=0) as client:
        for model in ("mimo-v2.6-flash", "mimo-v2.5-asr"):
            with pytest.raises(openai.BadRequestError) as exc:
                client.chat.completions.create(model=model, messages=ask(audio_part(data_uri), "q"))
            assert f"{len(data_uri):,} characters" in str(error_of(exc)["param"])


@pytest.mark.parametrize(
    ("key", "detail"), [("sk-wrong", "not valid"), ("tp-abc123", "Token Plan"), ("ttp-abc", "Token Plan")]
)
def test_bad_keys_are_401(mimo_emulator: EmulatorHandle, key: str, detail: str) -> None:
    with (
        openai.OpenAI(base_url=mimo_emulator.base_url, api_key=key, max_retries=0) as client,
        pytest.raises(openai.AuthenticationError) as exc,
    ):
        client.chat.completions.create(model="mimo-v2.6-flash", messages=ask("q"))
    assert detail in str(error_of(exc)["param"])
    assert mimo_emulator.request_log[-1].status == 401


def test_any_key_mode_still_refuses_token_plan_keys() -> None:
    with run_emulator(api_key=None) as emu:
        with openai.OpenAI(base_url=emu.base_url, api_key="sk-anything", max_retries=0) as client:
            assert client.models.list().data
        with (
            openai.OpenAI(base_url=emu.base_url, api_key="tp-x", max_retries=0) as client,
            pytest.raises(openai.AuthenticationError),
        ):
            client.models.list()


def test_api_key_header_and_missing_key(mimo_emulator: EmulatorHandle) -> None:
    url = mimo_emulator.base_url + "/chat/completions"
    body = json.dumps({"model": "mimo-v2.6-flash", "messages": ask("q")}).encode()
    status, answer, _ = raw_post(url, body, {"api-key": mimo_emulator.api_key})
    assert status == 200
    assert answer["object"] == "chat.completion"
    status, answer, _ = raw_post(url, body, {})
    assert status == 401
    assert answer["error"]["code"] == "401"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
def test_bad_json_is_400_not_a_crash(mimo_emulator: EmulatorHandle, body: bytes) -> None:
    url = mimo_emulator.base_url + "/chat/completions"
    status, answer, _ = raw_post(url, body, {"Authorization": f"Bearer {mimo_emulator.api_key}"})
    assert status == 400
    assert answer["error"]["message"] == "Param Incorrect"
    status, _, _ = raw_post(
        url,
        json.dumps({"model": "mimo-v2.6-flash", "messages": ask("q")}).encode(),
        {"api-key": mimo_emulator.api_key},
    )
    assert status == 200


def test_unknown_endpoint_is_404(mimo_emulator: EmulatorHandle) -> None:
    status, answer, _ = raw_post(mimo_emulator.base_url + "/audio/transcriptions", b"{}", {"api-key": "x"})
    assert status == 404
    assert "no endpoint" in answer["error"]["param"]


def test_bad_fault_header_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(
            model="mimo-v2.6-flash", messages=ask("q"), extra_headers={"x-emulator-fault": "teapot"}
        )
    assert "x-emulator-fault" in str(error_of(exc)["param"])


def _raw(
    emu: EmulatorHandle, method: str, body: bytes | Iterator[bytes], headers: dict[str, str]
) -> tuple[int, bytes]:
    url = urllib.parse.urlsplit(emu.base_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        chunked = not isinstance(body, bytes)
        conn.request(
            method, url.path + "/chat/completions", body=body, headers=headers, encode_chunked=chunked
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_chunked_bodies_are_read(mimo_emulator: EmulatorHandle) -> None:
    body = json.dumps({"model": "mimo-v2.6-flash", "messages": ask(audio_part(WAV), "chunked?")}).encode()
    pieces = iter([body[:1000], body[1000:]])
    headers = {"api-key": mimo_emulator.api_key, "Transfer-Encoding": "chunked"}
    status, answer = _raw(mimo_emulator, "POST", pieces, headers)
    assert status == 200
    assert json.loads(answer)["usage"]["prompt_tokens_details"]["audio_tokens"] == 7


def test_bodies_over_the_limit_are_413_and_wrong_methods_405(mimo_emulator: EmulatorHandle) -> None:
    mimo_emulator.configure(max_body_bytes=1000)
    status, answer = _raw(mimo_emulator, "POST", b"x" * 1001, {"api-key": mimo_emulator.api_key})
    assert status == 413
    assert json.loads(answer)["error"]["code"] == "413"
    status, _ = _raw(mimo_emulator, "GET", b"", {"api-key": mimo_emulator.api_key})
    assert status == 405
    assert [r.status for r in mimo_emulator.request_log] == [413, 405]


def test_request_log_keeps_the_newest_records() -> None:
    with (
        run_emulator(options=EmulatorOptions(max_log_records=10)) as emu,
        emu.client(max_retries=0) as client,
    ):
        for _ in range(25):
            client.models.list()
        assert 1 <= len(emu.request_log) <= 10
        assert emu.request_log[-1].status == 200


@pytest.mark.parametrize("by_url", [False, True])
def test_refused_audio_details_suit_a_request(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, by_url: bool
) -> None:
    aac = (Path(__file__).parent.parent / "fixtures" / "adts.aac").read_bytes()
    data = mimo_emulator.add_file(aac, "clip.aac") if by_url else uri(aac, "audio/mpeg")
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(audio_part(data), "q"))
    param = str(error_of(exc)["param"])
    assert param.startswith("messages[0].content[0]: the audio")
    assert "AAC in ADTS" in param
    assert_no_library_advice(error_of(exc))
    assert ("the audio at http://127.0.0.1" in param) == by_url


def test_the_library_adds_its_hints_on_the_client_side(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    aac = (Path(__file__).parent.parent / "fixtures" / "adts.aac").read_bytes()
    cases = [
        (ask(audio_part(uri(aac, "audio/mpeg")), "q"), "fit_audio()"),  # a refused format
        (ask(audio_part(WAV)), "user_message("),  # audio without a question
    ]
    for messages, hint in cases:
        with pytest.raises(openai.BadRequestError) as exc:
            create_completion(client, retry=NO_RETRY, model="mimo-v2.6-flash", messages=messages)
        assert_no_library_advice(error_of(exc))  # the server's words stay MiMo's
        notes = " ".join(getattr(exc.value, "__notes__", []))
        assert hint in api_error_hint(exc.value)  # the hint is ours, read from MiMo's words
        if notes:  # Python 3.11+: the hint is on the exception the user sees
            assert hint in notes


def test_empty_audio_by_url_names_the_url(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    url = mimo_emulator.add_file(b"", "empty.wav")
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(audio_part(url), "q"))
    param = str(error_of(exc)["param"])
    assert param.startswith(f"messages[0].content[0]: the audio (fetched from {url}) is empty (0 bytes)")
    assert "<audio>" not in param
