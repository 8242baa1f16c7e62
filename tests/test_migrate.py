"""OpenAI-shaped audio parts and messages <-> MiMo's shape."""

from __future__ import annotations

import base64
import copy
import dataclasses
from typing import Any

import openai
import pytest
from _audio import encode_tone

from mimo_openai_ext import (
    DEFAULT_LIMITS,
    DEFAULT_MODEL,
    AudioTooLargeError,
    CorruptAudioError,
    InvalidAudioSourceError,
    InvalidOptionError,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
    fit_audio,
    input_audio_part,
    to_mimo_messages,
    to_openai_messages,
)
from mimo_openai_ext.config import DEFAULT_ASR_MODEL
from mimo_openai_ext.migrate import to_mimo_part, to_mimo_request, to_openai_part

WAV, MP3, FLAC = (encode_tone(0.5, format=fmt) for fmt in ("WAV", "MP3", "FLAC"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _openai_part(data: bytes, fmt: Any = "wav") -> dict[str, Any]:
    return {"type": "input_audio", "input_audio": {"data": _b64(data), "format": fmt}}


def _payload(uri: str) -> bytes:
    return base64.b64decode(uri.partition(",")[2], validate=True)


def test_wav_part_becomes_a_data_uri_with_the_exact_bytes_and_no_format() -> None:
    part = to_mimo_part(_openai_part(WAV))
    assert part["type"] == "input_audio"
    assert set(part["input_audio"]) == {"data"}
    assert part["input_audio"]["data"].startswith("data:audio/wav;base64,")
    assert _payload(part["input_audio"]["data"]) == WAV


def test_mp3_part_is_labelled_from_its_bytes() -> None:
    part = to_mimo_part(_openai_part(MP3, "mp3"))
    assert part["input_audio"]["data"].startswith("data:audio/mpeg;base64,")
    assert _payload(part["input_audio"]["data"]) == MP3


def test_base64_with_line_breaks_is_accepted() -> None:
    wrapped = base64.encodebytes(WAV).decode("ascii")
    assert "\n" in wrapped
    part = to_mimo_part({"type": "input_audio", "input_audio": {"data": wrapped, "format": "wav"}})
    assert _payload(part["input_audio"]["data"]) == WAV


def test_declared_format_contradicted_by_the_bytes_is_refused() -> None:
    with pytest.raises(UnsupportedAudioFormatError) as info:
        to_mimo_part(_openai_part(MP3, "wav"))
    assert info.value.found == "mp3"
    assert info.value.allowed == ("wav",)
    message = str(info.value)
    assert "declared format 'wav'" in message
    assert "mp3" in message
    assert "check_format=False" in message


def test_check_format_false_trusts_the_bytes() -> None:
    part = to_mimo_part(_openai_part(MP3, "wav"), check_format=False)
    assert part["input_audio"]["data"].startswith("data:audio/mpeg;base64,")


def test_unknown_declared_format_is_refused() -> None:
    with pytest.raises(UnsupportedAudioFormatError, match="declared format 'aac'") as info:
        to_mimo_part(_openai_part(WAV, "aac"))
    assert info.value.found == "aac"


def test_bytes_that_are_not_audio_are_refused_as_corrupt_or_unsupported() -> None:
    with pytest.raises(CorruptAudioError):
        to_mimo_part(_openai_part(WAV[:30], "wav"))
    with pytest.raises(UnsupportedAudioFormatError):
        to_mimo_part(_openai_part(b"%PDF-1.7\n" + bytes(200), "wav"))


def test_text_that_is_not_base64_names_the_part() -> None:
    messages = [
        {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "not base64!"}}]}
    ]
    with pytest.raises(InvalidAudioSourceError, match=r"messages\[0\]\.content\[0\].*base64"):
        to_mimo_messages(messages)


def test_malformed_part_is_refused() -> None:
    with pytest.raises(InvalidAudioSourceError, match="string 'data'"):
        to_mimo_part({"type": "input_audio", "input_audio": {"data": 12}})
    with pytest.raises(InvalidAudioSourceError, match="not an input_audio part"):
        to_mimo_part({"type": "text", "text": "hi"})


def test_https_url_passes_through_without_format() -> None:
    url = "https://example.com/clip.wav"
    part = to_mimo_part({"type": "input_audio", "input_audio": {"data": url, "format": "wav"}})
    assert part == {"type": "input_audio", "input_audio": {"data": url}}


def test_conversion_is_idempotent_on_mimo_parts() -> None:
    once = to_mimo_part(_openai_part(WAV))
    assert to_mimo_part(once) == once


def test_a_mislabelled_data_uri_is_relabelled_from_its_bytes() -> None:
    part = {"type": "input_audio", "input_audio": {"data": "data:audio/wav;base64," + _b64(MP3)}}
    assert to_mimo_part(part)["input_audio"]["data"].startswith("data:audio/mpeg;base64,")


def test_size_limit_is_enforced() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_data_uri_chars=1_000)
    with pytest.raises(AudioTooLargeError):
        to_mimo_part(_openai_part(WAV), limits=limits)


def _openai_conversation() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "Answer briefly."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is said?"},
                _openai_part(WAV),
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ],
        },
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": [_openai_part(MP3, "mp3"), {"type": "text", "text": "And this?"}]},
    ]


def test_messages_convert_only_audio_parts_and_never_mutate_the_input() -> None:
    original = _openai_conversation()
    snapshot = copy.deepcopy(original)
    converted: list[Any] = to_mimo_messages(original)
    assert original == snapshot
    assert len(converted) == 4
    assert converted[0] == snapshot[0]
    assert converted[0] is not original[0]
    assert converted[2] == snapshot[2]
    first = converted[1]["content"]
    assert first[0] == snapshot[1]["content"][0]
    assert first[2] == snapshot[1]["content"][2]
    assert first[2]["image_url"] is not original[1]["content"][2]["image_url"]
    assert first[1]["input_audio"]["data"].startswith("data:audio/wav;base64,")
    assert converted[3]["content"][0]["input_audio"]["data"].startswith("data:audio/mpeg;base64,")
    assert "format" not in converted[3]["content"][0]["input_audio"]


def test_messages_errors_name_the_message_and_part() -> None:
    messages = _openai_conversation()
    messages[3]["content"][0] = _openai_part(MP3, "wav")
    with pytest.raises(
        UnsupportedAudioFormatError, match=r"^messages\[3\]\.content\[0\]: declared format 'wav'"
    ):
        to_mimo_messages(messages)


def test_sdk_message_objects_pass_through() -> None:
    sdk_message = openai.types.chat.ChatCompletionMessage(role="assistant", content="Earlier answer.")
    converted: list[Any] = to_mimo_messages([sdk_message, {"role": "user", "content": [_openai_part(WAV)]}])
    assert converted[0] == sdk_message
    assert converted[1]["content"][0]["input_audio"]["data"].startswith("data:audio/wav;")


def test_a_single_message_instead_of_a_list_is_refused() -> None:
    with pytest.raises(InvalidAudioSourceError, match="list of message dicts"):
        to_mimo_messages({"role": "user", "content": "hi"})


def test_reverse_gives_openai_raw_base64_and_format() -> None:
    mimo = to_mimo_part(_openai_part(WAV))
    back = to_openai_part(mimo)
    assert back == _openai_part(WAV)
    assert to_openai_part(to_mimo_part(_openai_part(MP3, "mp3"))) == _openai_part(MP3, "mp3")


def test_reverse_messages_round_trip() -> None:
    original = _openai_conversation()
    assert to_openai_messages(to_mimo_messages(original)) == original


def test_reverse_refuses_formats_openai_does_not_take() -> None:
    flac = {"type": "input_audio", "input_audio": {"data": "data:audio/flac;base64," + _b64(FLAC)}}
    with pytest.raises(
        UnsupportedAudioFormatError, match=r"only wav and mp3; convert it first: fit_audio"
    ) as info:
        to_openai_part(flac)
    assert info.value.found == "flac"
    assert info.value.allowed == ("wav", "mp3")
    fitted = fit_audio(FLAC, model=DEFAULT_ASR_MODEL)  # the conversion the message points at
    assert to_openai_part(fitted.part)["input_audio"]["format"] in ("wav", "mp3")


def test_reverse_refuses_urls() -> None:
    part = {"type": "input_audio", "input_audio": {"data": "https://example.com/a.wav"}}
    with pytest.raises(UnsupportedFeatureError, match="no URL form"):
        to_openai_messages([{"role": "user", "content": [part]}])


def test_converted_messages_are_heard_by_the_emulator(mimo_emulator: Any) -> None:
    client = mimo_emulator.client(max_retries=0)
    with client:
        messages: Any = [{"role": "user", "content": [_openai_part(WAV), {"type": "text", "text": "What?"}]}]
        before = client.chat.completions.create(model=DEFAULT_MODEL, messages=messages)
        after = client.chat.completions.create(model=DEFAULT_MODEL, messages=to_mimo_messages(messages))
    assert before.usage is not None
    assert after.usage is not None
    assert before.usage.prompt_tokens_details is not None
    assert after.usage.prompt_tokens_details is not None
    assert before.usage.prompt_tokens_details.audio_tokens == 0
    assert after.usage.prompt_tokens_details.audio_tokens == 4  # 0.5 s x 6.25, rounded up


def test_to_mimo_request_converts_audio_and_renames_max_tokens() -> None:
    request = {
        "model": "mimo-v2.5",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, _openai_part(WAV, "wav")]}],
    }
    converted = to_mimo_request(request)
    assert converted["max_completion_tokens"] == 200
    assert "max_tokens" not in converted
    assert converted["messages"][0]["content"][1] == input_audio_part(WAV)
    assert request["max_tokens"] == 200  # the input is untouched
    assert "format" in request["messages"][0]["content"][1]["input_audio"]
    same = to_mimo_request({"max_tokens": 9, "max_completion_tokens": 9, "messages": []})
    assert same == {"max_completion_tokens": 9, "messages": []}
    with pytest.raises(InvalidOptionError, match="max_tokens=5 and max_completion_tokens=9 disagree"):
        to_mimo_request({"max_tokens": 5, "max_completion_tokens": 9, "messages": []})


@pytest.mark.parametrize(("declared", "fmt"), [("audio/wav", "wav"), ("x-wav", "wav"), ("WAVE", "wav")])
def test_declared_formats_are_read_as_clients_spell_them(declared: str, fmt: str) -> None:
    part = to_mimo_part(_openai_part(WAV, declared))
    assert part["input_audio"]["data"].startswith(f"data:audio/{fmt};base64,")
