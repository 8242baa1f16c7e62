"""OpenAI-style ``audio.speech.create(...)`` that runs on MiMo's speech models.

``speech(client).create(model="tts-1", voice="alloy", input=..., response_format="mp3")``
keeps the shape of ``client.audio.speech.create`` and returns what it returns: the SDK's
own ``HttpxBinaryResponseContent`` (``.content``, ``.read()``, ``.write_to_file(path)``,
``.iter_bytes()``), and ``speech(client).with_streaming_response.create(...)`` is a context
manager whose response has ``.stream_to_file(path)`` and ``.iter_bytes()``, as the SDK's.

* ``model``: OpenAI's ids (``tts-1``, ``tts-1-hd``, ``gpt-4o-mini-tts``) map through
  ``OPENAI_SPEECH_MODEL_MAP`` to MiMo's preset-voice model; a MiMo id passes as it is.
* ``voice``: OpenAI's names map through ``OPENAI_VOICE_MAP``; MiMo's own ids work too. A
  custom voice object (``{"id": ...}``) has no MiMo equivalent: ``speak(voice_clone=...)``.
* ``instructions`` becomes MiMo's natural-language control (``style``); ``speed`` (0.25-4)
  is applied here (MiMo's own had no audible effect); ``response_format`` ``mp3`` (the
  default) and ``wav`` come from MiMo, ``flac``, ``opus``, ``aac`` and ``pcm`` (24 kHz
  16-bit, as OpenAI's) are encoded here from its WAV.
* ``stream_format="sse"``, per-call ``timeout``/``extra_*`` and anything else OpenAI-only
  raise :class:`UnsupportedFeatureError` before any request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .._audio.encode import PcmAudio, encode_pcm, resample_pcm
from .._batch.rate import RateLimiter
from .._checks import check_count, check_limits, check_type
from .._client import check_client
from .._config import OPENAI_SPEECH_MODEL_MAP, Limits, SpeechFormat
from .._exceptions import InvalidOptionError, InvalidTypeError, UnsupportedFeatureError
from .._retry import RetryPolicy
from .._transcription_plan import is_unset
from .plan import SpeakOptions, plan_speech, speech_model
from .result import Speech
from .speak import speak_plan, speak_plan_async

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai._legacy_response import HttpxBinaryResponseContent

__all__ = [
    "OPENAI_PCM_RATE_HZ",
    "OPENAI_SPEECH_FORMATS",
    "AsyncMimoSpeech",
    "AsyncSpeechStreamResponse",
    "MimoSpeech",
    "SpeechStreamResponse",
    "speech",
]

OPENAI_SPEECH_FORMATS: tuple[SpeechFormat, ...] = ("mp3", "opus", "aac", "flac", "wav", "pcm")
"""``response_format`` values of OpenAI's ``audio.speech.create`` (``mp3`` by default)."""
OPENAI_PCM_RATE_HZ = 24_000
"""OpenAI's ``pcm``: raw 16-bit little-endian samples at 24 kHz, mono."""
_PER_CALL = ("timeout", "extra_headers", "extra_query", "extra_body")
_ClientT = TypeVar("_ClientT")


def _http_library() -> Any:
    """The HTTP library the installed ``openai`` builds its responses with (``httpx`` or ``httpx2``)."""
    from openai import _legacy_response

    module = sys.modules[_legacy_response.HttpxBinaryResponseContent.__module__]
    return getattr(module, "httpx2", None) or module.httpx


def binary_response(speech: Speech, url: str) -> Any:
    """An ``httpx``/``httpx2`` response holding the speech, as the SDK would have received it."""
    lib = _http_library()
    request = lib.Request("POST", url)
    headers = {"content-type": speech.mime, "content-length": str(speech.size_bytes)}
    return lib.Response(200, headers=headers, content=speech.data, request=request)


def _openai_pcm(speech: Speech) -> Speech:
    """OpenAI's ``pcm`` is 24 kHz: speech at another rate is resampled."""
    if speech.format != "pcm" or speech.sample_rate_hz == OPENAI_PCM_RATE_HZ:
        return speech
    import numpy as np

    samples = np.frombuffer(speech.data, dtype="<i2").astype(np.float32) / 32768.0
    pcm = resample_pcm(PcmAudio(samples, speech.sample_rate_hz), OPENAI_PCM_RATE_HZ)
    return dataclasses.replace(speech, data=encode_pcm(pcm, "pcm"), sample_rate_hz=OPENAI_PCM_RATE_HZ)


def _voice_name(voice: object) -> str:
    if isinstance(voice, Mapping) and "id" in voice:
        raise UnsupportedFeatureError(
            f"voice={dict(voice)!r}: OpenAI's custom voices do not exist on MiMo; imitate a recording "
            "with speak(client, text, voice_clone='sample.wav'), or pick a preset (OPENAI_VOICE_MAP)"
        )
    if not isinstance(voice, str):
        raise InvalidTypeError(
            f"voice={voice!r:.60}: must be a voice name (str), such as 'alloy' or MiMo's 'Mia'",
            option="voice",
        )
    return voice


def _check_extras(extra: Mapping[str, object]) -> None:
    for key, value in extra.items():
        if is_unset(value):
            continue
        if key in _PER_CALL:
            raise UnsupportedFeatureError(
                f"{key}= is not taken per call here; set it on the client instead: "
                "speech(client.with_options(...)) (e.g. timeout=60)"
            )
        raise UnsupportedFeatureError(
            f"{key}={value!r:.60}: audio.speech.create's {key!r} has no MiMo equivalent; leave it out "
            "(supported: input, model, voice, instructions, response_format, speed, stream_format)"
        )


class _Speech(Generic[_ClientT]):
    """What the sync and async shims share: the client, options, and turning a call into a plan."""

    def __init__(
        self,
        client: _ClientT,
        *,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        rate_limiter: RateLimiter | None = None,
        concurrency: int = 4,
    ) -> None:
        sync = not isinstance(self, AsyncMimoSpeech)
        check_client(
            client, sync=sync, call=type(self).__name__, twin="AsyncMimoSpeech" if sync else "MimoSpeech"
        )
        check_type(retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
        check_limits(limits)
        check_type(rate_limiter, RateLimiter, option="rate_limiter", expected="a RateLimiter", none=True)
        check_count(concurrency, option="concurrency")
        self._client = client
        self._settings: dict[str, Any] = {
            "retry": retry,
            "limits": limits,
            "rate_limiter": rate_limiter,
            "concurrency": concurrency,
        }

    def _options(
        self,
        input: object,
        model: str,
        voice: object,
        instructions: str | None,
        response_format: object,
        speed: float | None,
        stream_format: object,
        extra: Mapping[str, object],
    ) -> SpeakOptions:
        """The call as ``speak()`` options, checked (nothing is sent yet) and named as OpenAI names them."""
        _check_extras(extra)
        if not isinstance(input, str) or not input.strip():
            raise InvalidOptionError(
                f"input={input!r:.60}: audio.speech.create needs the text to say (a non-empty str)",
                option="input",
            )
        if not is_unset(instructions):
            check_type(instructions, str, option="instructions", expected="a str (how to say it)", none=True)
        fmt = "mp3" if is_unset(response_format) else response_format
        formats = [f for f in OPENAI_SPEECH_FORMATS if f == fmt]
        if not formats:
            raise UnsupportedFeatureError(
                f"response_format={fmt!r}: audio.speech.create takes {', '.join(OPENAI_SPEECH_FORMATS)}"
            )
        if not is_unset(stream_format) and stream_format != "audio":
            raise UnsupportedFeatureError(
                f"stream_format={stream_format!r}: MiMo's speech comes whole, not as events; leave "
                "stream_format out (or 'audio'), and use with_streaming_response to write it to a file"
            )
        check_type(model, str, option="model", expected="a model id such as 'tts-1'")
        options = SpeakOptions(
            voice=_voice_name(voice),
            format=formats[0],
            model=OPENAI_SPEECH_MODEL_MAP.get(model, model),
            style=None if is_unset(instructions) else instructions,
            speed=1.0 if speed is None or is_unset(speed) else speed,  # checked by SpeakOptions
            **self._settings,
        )
        speech_model(options)  # a design or clone model needs speak(): refused here, named
        return options

    def _url(self) -> str:
        base = str(getattr(self._client, "base_url", "") or "")
        return base.rstrip("/") + "/audio/speech"


class MimoSpeech(_Speech["OpenAI"]):
    """``client.audio.speech`` for MiMo: ``MimoSpeech(client).create(...)`` (see :func:`speech`)."""

    def create(
        self,
        *,
        input: str,
        model: str,
        voice: str | Mapping[str, str],
        instructions: str | None = None,
        response_format: str = "mp3",
        speed: float | None = None,
        stream_format: str | None = None,
        **extra: object,
    ) -> HttpxBinaryResponseContent:
        """Speak ``input``; returns the SDK's ``HttpxBinaryResponseContent``, as OpenAI's does."""
        from openai._legacy_response import HttpxBinaryResponseContent

        spoken = self.speak(
            input=input,
            model=model,
            voice=voice,
            instructions=instructions,
            response_format=response_format,
            speed=speed,
            stream_format=stream_format,
            **extra,
        )
        return HttpxBinaryResponseContent(binary_response(spoken, self._url()))

    def speak(
        self,
        *,
        input: str,
        model: str,
        voice: str | Mapping[str, str],
        instructions: str | None = None,
        response_format: str = "mp3",
        speed: float | None = None,
        stream_format: str | None = None,
        **extra: object,
    ) -> Speech:
        """``create``'s call, returning the :class:`Speech` itself (format, duration, usage)."""
        options = self._options(
            input, model, voice, instructions, response_format, speed, stream_format, extra
        )
        return _openai_pcm(speak_plan(self._client, plan_speech(input, options), options))

    @property
    def with_streaming_response(self) -> _StreamingSpeech:
        """``with ....with_streaming_response.create(...) as response: response.stream_to_file(path)``."""
        return _StreamingSpeech(self)


class AsyncMimoSpeech(_Speech["AsyncOpenAI"]):
    """The ``AsyncOpenAI`` twin of :class:`MimoSpeech` (``await ....create(...)``)."""

    async def create(
        self,
        *,
        input: str,
        model: str,
        voice: str | Mapping[str, str],
        instructions: str | None = None,
        response_format: str = "mp3",
        speed: float | None = None,
        stream_format: str | None = None,
        **extra: object,
    ) -> HttpxBinaryResponseContent:
        """Speak ``input``; see :meth:`MimoSpeech.create`."""
        from openai._legacy_response import HttpxBinaryResponseContent

        spoken = await self.speak(
            input=input,
            model=model,
            voice=voice,
            instructions=instructions,
            response_format=response_format,
            speed=speed,
            stream_format=stream_format,
            **extra,
        )
        return HttpxBinaryResponseContent(binary_response(spoken, self._url()))

    async def speak(
        self,
        *,
        input: str,
        model: str,
        voice: str | Mapping[str, str],
        instructions: str | None = None,
        response_format: str = "mp3",
        speed: float | None = None,
        stream_format: str | None = None,
        **extra: object,
    ) -> Speech:
        """``create``'s call, returning the :class:`Speech` itself."""
        options = self._options(
            input, model, voice, instructions, response_format, speed, stream_format, extra
        )
        plan = await asyncio.to_thread(plan_speech, input, options)
        spoken = await speak_plan_async(self._client, plan, options)
        return await asyncio.to_thread(_openai_pcm, spoken)

    @property
    def with_streaming_response(self) -> _AsyncStreamingSpeech:
        """``async with ....with_streaming_response.create(...) as response:``, then
        ``await response.stream_to_file(path)``."""
        return _AsyncStreamingSpeech(self)


class _StreamedSpeech:
    """What the sync and async streamed responses share: the speech and its HTTP response.

    Their public members are those of the SDK's ``StreamedBinaryAPIResponse`` /
    ``AsyncStreamedBinaryAPIResponse`` (checked by a test on every openai major), plus
    ``speech``; the HTTP parts describe the response as OpenAI would have sent it, with
    ``elapsed`` the time the speech took.
    """

    def __init__(self, speech: Speech, url: str, *, elapsed_s: float = 0.0) -> None:
        self.speech = speech
        """The :class:`Speech` behind it (format, duration, usage)."""
        self.http_response = binary_response(speech, url)
        self.http_response.elapsed = datetime.timedelta(seconds=elapsed_s)
        self.is_closed = False
        self.retries_taken = 0
        """0: the pieces' own retries (the retry layer's) are not counted here."""

    @property
    def headers(self) -> Any:
        return self.http_response.headers

    @property
    def http_request(self) -> Any:
        return self.http_response.request

    @property
    def status_code(self) -> int:
        return int(self.http_response.status_code)

    @property
    def url(self) -> Any:
        return self.http_response.url

    @property
    def method(self) -> str:
        return str(self.http_request.method)

    @property
    def http_version(self) -> str:
        return str(self.http_response.http_version)

    @property
    def elapsed(self) -> datetime.timedelta:
        """How long the speech took (every request and the audio work)."""
        elapsed: datetime.timedelta = self.http_response.elapsed
        return elapsed

    @property
    def request_id(self) -> str | None:
        """None: the speech took its own requests (``speech.usage`` sums them)."""
        value = self.headers.get("x-request-id")
        return None if value is None else str(value)

    def _chunks(self, chunk_size: int | None) -> Iterator[bytes]:
        data = self.speech.data
        check_count(chunk_size, option="chunk_size", none=True)
        step = chunk_size or len(data) or 1
        for start in range(0, len(data), step):
            yield data[start : start + step]

    def _text(self) -> str:
        return str(self.http_response.text)

    def _text_chunks(self, chunk_size: int | None) -> Iterator[str]:
        check_count(chunk_size, option="chunk_size", none=True)
        text = self._text()
        step = chunk_size or len(text) or 1
        for start in range(0, len(text), step):
            yield text[start : start + step]


class SpeechStreamResponse(_StreamedSpeech):
    """What ``with_streaming_response.create(...)`` yields: the SDK's streamed binary response shape."""

    def read(self) -> bytes:
        return self.speech.data

    def parse(self) -> bytes:
        """The audio bytes (what the SDK's binary response parses to)."""
        return self.speech.data

    def text(self) -> str:
        """The bytes decoded as text (as the SDK's; audio is rarely text)."""
        return self._text()

    def json(self) -> object:
        """The bytes read as JSON (as the SDK's: audio raises ``ValueError``)."""
        return json.loads(self.speech.data)

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return self._chunks(chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        return self._text_chunks(chunk_size)

    def iter_lines(self) -> Iterator[str]:
        return iter(self._text().splitlines())

    def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        """Write the audio to ``file``, ``chunk_size`` bytes at a time."""
        with open(file, mode="wb") as out:
            for chunk in self._chunks(chunk_size):
                out.write(chunk)

    def close(self) -> None:
        self.is_closed = True


class AsyncSpeechStreamResponse(_StreamedSpeech):
    """The async twin: ``await response.stream_to_file(path)``, ``async for c in response.iter_bytes()``."""

    async def read(self) -> bytes:
        return self.speech.data

    async def parse(self) -> bytes:
        return self.speech.data

    async def text(self) -> str:
        return self._text()

    async def json(self) -> object:
        return json.loads(self.speech.data)

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        for chunk in self._chunks(chunk_size):
            yield chunk

    async def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        for chunk in self._text_chunks(chunk_size):
            yield chunk

    async def iter_lines(self) -> AsyncIterator[str]:
        for line in self._text().splitlines():
            yield line

    async def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        """Write the audio to ``file`` (on a worker thread), ``chunk_size`` bytes at a time."""

        def write() -> None:
            with open(file, mode="wb") as out:
                for chunk in self._chunks(chunk_size):
                    out.write(chunk)

        await asyncio.to_thread(write)

    async def close(self) -> None:
        self.is_closed = True


class _StreamingSpeech:
    def __init__(self, shim: MimoSpeech) -> None:
        self._shim = shim

    def create(
        self,
        *,
        input: str,
        model: str,
        voice: str | Mapping[str, str],
        instructions: str | None = None,
        response_format: str = "mp3",
        speed: float | None = None,
        stream_format: str | None = None,
        **extra: object,
    ) -> _SpeechContext:
        """The call of :meth:`MimoSpeech.create`, spoken when the ``with`` block is entered."""
        return _SpeechContext(
            self._shim,
            {
                "input": input,
                "model": model,
                "voice": voice,
                "instructions": instructions,
                "response_format": response_format,
                "speed": speed,
                "stream_format": stream_format,
                **extra,
            },
        )


class _SpeechContext:
    def __init__(self, shim: MimoSpeech, call: dict[str, Any]) -> None:
        self._shim = shim
        self._call = call
        self._response: SpeechStreamResponse | None = None

    def __enter__(self) -> SpeechStreamResponse:
        started = time.monotonic()
        spoken = self._shim.speak(**self._call)
        elapsed_s = time.monotonic() - started
        self._response = SpeechStreamResponse(spoken, self._shim._url(), elapsed_s=elapsed_s)
        return self._response

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._response is not None:
            self._response.close()


class _AsyncStreamingSpeech:
    def __init__(self, shim: AsyncMimoSpeech) -> None:
        self._shim = shim

    def create(
        self,
        *,
        input: str,
        model: str,
        voice: str | Mapping[str, str],
        instructions: str | None = None,
        response_format: str = "mp3",
        speed: float | None = None,
        stream_format: str | None = None,
        **extra: object,
    ) -> _AsyncSpeechContext:
        """The call of :meth:`AsyncMimoSpeech.create`, spoken when ``async with`` is entered."""
        return _AsyncSpeechContext(
            self._shim,
            {
                "input": input,
                "model": model,
                "voice": voice,
                "instructions": instructions,
                "response_format": response_format,
                "speed": speed,
                "stream_format": stream_format,
                **extra,
            },
        )


class _AsyncSpeechContext:
    def __init__(self, shim: AsyncMimoSpeech, call: dict[str, Any]) -> None:
        self._shim = shim
        self._call = call
        self._response: AsyncSpeechStreamResponse | None = None

    async def __aenter__(self) -> AsyncSpeechStreamResponse:
        started = time.monotonic()
        spoken = await self._shim.speak(**self._call)
        elapsed_s = time.monotonic() - started
        self._response = AsyncSpeechStreamResponse(spoken, self._shim._url(), elapsed_s=elapsed_s)
        return self._response

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._response is not None:
            await self._response.close()


@overload
def speech(
    client: OpenAI,
    *,
    retry: RetryPolicy | None = ...,
    limits: Limits | None = ...,
    rate_limiter: RateLimiter | None = ...,
    concurrency: int = ...,
) -> MimoSpeech: ...
@overload
def speech(
    client: AsyncOpenAI,
    *,
    retry: RetryPolicy | None = ...,
    limits: Limits | None = ...,
    rate_limiter: RateLimiter | None = ...,
    concurrency: int = ...,
) -> AsyncMimoSpeech: ...
def speech(
    client: OpenAI | AsyncOpenAI,
    *,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    rate_limiter: RateLimiter | None = None,
    concurrency: int = 4,
) -> MimoSpeech | AsyncMimoSpeech:
    """A drop-in for ``client.audio.speech`` that runs on MiMo's speech models.

    Replace ``client.audio.speech.create(...)`` with ``speech(client).create(...)``; an
    ``AsyncOpenAI`` client gives the async twin (:class:`AsyncMimoSpeech`).
    """
    from openai import AsyncOpenAI

    if isinstance(client, AsyncOpenAI):
        return AsyncMimoSpeech(
            client, retry=retry, limits=limits, rate_limiter=rate_limiter, concurrency=concurrency
        )
    return MimoSpeech(client, retry=retry, limits=limits, rate_limiter=rate_limiter, concurrency=concurrency)
