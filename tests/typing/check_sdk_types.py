"""Type-checked with ``mypy --strict`` under every supported openai major; never executed.

``tests/test_openai_compat.py`` runs mypy on this file (pytest does not collect it: its
name does not start with ``test_``). It shows that what our helpers return goes straight
into the SDK's own ``create(...)`` signatures, whichever ``openai`` is installed.
"""

from __future__ import annotations

from openai import AsyncOpenAI, OpenAI
from openai._legacy_response import HttpxBinaryResponseContent
from openai.types.audio import Transcription, TranscriptionVerbose
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionContentPartInputAudioParam,
    ChatCompletionMessageParam,
    ChatCompletionUserMessageParam,
)

from mimo_openai_ext import (
    DEFAULT_MODEL,
    InputAudioPart,
    Speech,
    TextPart,
    input_audio_part,
    mimo_async_http_client,
    mimo_http_client,
    speak,
    speak_async,
    speech,
    text_part,
    to_mimo_messages,
    to_openai_messages,
    transcriptions,
    user_message,
)
from mimo_openai_ext.migrate import to_mimo_part, to_openai_part


def chat_with_parts(client: OpenAI, audio: bytes) -> ChatCompletion:
    part: InputAudioPart = input_audio_part(audio)
    question: TextPart = text_part("What is said in this recording?")
    message: ChatCompletionUserMessageParam = user_message(part, question)
    return client.chat.completions.create(
        model=DEFAULT_MODEL,
        messages=[{"role": "system", "content": "Answer briefly."}, message],
        max_completion_tokens=256,
        extra_body={"thinking": {"type": "disabled"}},
    )


def chat_with_plain_text(client: OpenAI, path: str) -> str | None:
    completion = client.with_options(max_retries=0).chat.completions.create(
        model=DEFAULT_MODEL,
        messages=[user_message(input_audio_part(path), "Transcribe it.")],
    )
    return completion.choices[0].message.content


async def chat_async(client: AsyncOpenAI, path: str) -> ChatCompletion:
    messages: list[ChatCompletionMessageParam] = [user_message(input_audio_part(path), "Who speaks?")]
    return await client.chat.completions.create(model=DEFAULT_MODEL, messages=messages)


def migrated_messages(client: OpenAI, openai_messages: list[ChatCompletionMessageParam]) -> ChatCompletion:
    return client.chat.completions.create(model=DEFAULT_MODEL, messages=to_mimo_messages(openai_messages))


def migrated_parts(openai_part: ChatCompletionContentPartInputAudioParam) -> ChatCompletionUserMessageParam:
    mimo_part: InputAudioPart = to_mimo_part(openai_part)
    back: ChatCompletionContentPartInputAudioParam = to_openai_part(mimo_part)
    return {"role": "user", "content": [back, {"type": "text", "text": "What is said?"}]}


def back_to_openai(openai_client: OpenAI, mimo_messages: list[ChatCompletionMessageParam]) -> ChatCompletion:
    return openai_client.chat.completions.create(
        model="gpt-4o-audio-preview", modalities=["text"], messages=to_openai_messages(mimo_messages)
    )


def whisper_style(client: OpenAI, path: str) -> tuple[str, str]:
    with open(path, "rb") as fh:
        as_json: Transcription = transcriptions(client).create(file=fh, model="whisper-1")
    as_text: str = transcriptions(client).create(file=path, model="whisper-1", response_format="text")
    return as_json.text, as_text


def whisper_timestamps(client: OpenAI, path: str) -> tuple[float, str, str]:
    verbose: TranscriptionVerbose = transcriptions(client).create(
        file=path, model="whisper-1", response_format="verbose_json"
    )
    subtitles: str = transcriptions(client).create(file=path, model="whisper-1", response_format="srt")
    web: str = transcriptions(client).create(file=path, model="whisper-1", response_format="vtt")
    first = verbose.segments[0].start if verbose.segments else 0.0
    return first, subtitles, web


async def whisper_timestamps_async(client: AsyncOpenAI, data: bytes) -> str:
    verbose: TranscriptionVerbose = await transcriptions(client).create(
        file=data, model="whisper-1", response_format="verbose_json"
    )
    return verbose.text


async def whisper_style_async(client: AsyncOpenAI, data: bytes) -> str:
    result: Transcription = await transcriptions(client).create(file=("a.wav", data), model="whisper-1")
    text: str = await transcriptions(client).create(
        file=data, model="gpt-4o-transcribe", response_format="text"
    )
    return result.text + text


def through_the_adapter() -> tuple[OpenAI, AsyncOpenAI]:
    # The client the adapter returns is the one each major's http_client= takes (httpx2 under 3.x).
    return (
        OpenAI(api_key="k", http_client=mimo_http_client()),
        AsyncOpenAI(api_key="k", http_client=mimo_async_http_client()),
    )


def speech_out(client: OpenAI, path: str) -> tuple[bytes, float]:
    spoken: Speech = speak(client, "Hello.", voice="Mia", format="mp3")
    response: HttpxBinaryResponseContent = speech(client).create(model="tts-1", voice="alloy", input="Hi.")
    response.write_to_file(path)
    with speech(client).with_streaming_response.create(model="tts-1", voice="alloy", input="Hi.") as streamed:
        streamed.stream_to_file(path)
    return response.content, spoken.duration_s


async def speech_out_async(client: AsyncOpenAI, path: str) -> bytes:
    spoken: Speech = await speak_async(client, "Hello.", voice_design="A calm voice")
    response: HttpxBinaryResponseContent = await speech(client).create(
        model="tts-1", voice="nova", input="Hi."
    )
    async with speech(client).with_streaming_response.create(
        model="tts-1", voice="nova", input="."
    ) as streamed:
        await streamed.stream_to_file(path)
    return spoken.data + response.content
