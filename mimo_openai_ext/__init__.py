"""mimo-openai-ext: Xiaomi MiMo audio understanding from ordinary ``openai`` SDK code.

The main verbs and types are here. Specialist pieces live in named submodules:
``mimo_openai_ext.audio`` (sniff, probe bytes, encode, convert), ``.batch`` (rate limits,
results files), ``.config`` (the table of models, limits, formats and prices),
``.doctor`` (a live check of the table against MiMo), ``.migrate`` (OpenAI shapes, the
Whisper and speech shims), ``.retry`` (the retry layer), ``.streaming`` (stream types),
``.emulator`` (a local MiMo for offline work and tests), ``.adapter`` (MiMo's dialect at the
HTTP layer, for other libraries' clients) and ``.proxy`` (the same as a local OpenAI-compatible
endpoint).

Nothing happens at import: no environment reads, no network, no optional extras.
"""

import sys as _sys
import warnings as _warnings

from . import adapter, audio, batch, config, doctor, emulator, migrate, proxy, retry, streaming
from ._across import AcrossChunksAnswer, ChunkAnswer, ask_across_chunks, ask_across_chunks_async
from ._adapter._rules import AdapterOptions
from ._adapter._transport import mimo_async_http_client, mimo_http_client
from ._answer import Answer, AnswersTable, compare_answers, read_answer, read_reasoning
from ._ask import ask, ask_async, ask_stream, ask_stream_async
from ._ask_request import AudioInput, thinking
from ._audio.convert import convert_audio
from ._audio.fit import FittedAudio, fit_audio
from ._audio.probe import AudioInfo, probe_audio
from ._audio.split import AudioChunk, split_audio
from ._audio.tokens import estimate_audio_tokens
from ._audio.waveform import plot_audio
from ._batch.ask import ask_batch, ask_batch_async
from ._batch.estimate import BatchEstimate, estimate_batch
from ._batch.results import BatchResult, BatchResults
from ._chat import AsyncAudioChat, AudioChat, ChatTurn, audio_chat, audio_chat_async
from ._client import mimo_async_client, mimo_client
from ._config import DEFAULT_LIMITS, DEFAULT_MODEL, MODELS, Limits, ModelSpec, Price
from ._display import display_part
from ._exceptions import (
    AudioAsTextWarning,
    AudioNotHeardWarning,
    AudioTooLargeError,
    CapabilitiesFileError,
    ContextOverflowError,
    CorruptAudioError,
    DeadlineExceededError,
    IncompleteStreamError,
    InvalidAudioSourceError,
    InvalidClientError,
    InvalidOptionError,
    InvalidResponseError,
    InvalidTypeError,
    KeyHostMismatchWarning,
    MimoAudioError,
    MimoAudioWarning,
    MissingAPIKeyError,
    MissingExtraError,
    ModelRetiringWarning,
    OptionAliasWarning,
    ResultsFileError,
    RetiredModelError,
    StreamNotFinishedError,
    TruncatedAnswerWarning,
    UnknownModelWarning,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
    VoiceReferenceWarning,
)
from ._heard import check_audio_heard
from ._messages import user_message
from ._migrate import to_mimo_messages, to_openai_messages
from ._models import get_model
from ._parts import input_audio_part, text_part
from ._request_estimate import AudioEstimate, RequestEstimate, estimate_request
from ._retry import RetryPolicy
from ._sample import SAMPLE_TRANSCRIPT, sample_audio_path
from ._speech.result import Speech
from ._speech.shim import speech
from ._speech.speak import speak, speak_async
from ._transcribe import TranscribeProgress, transcribe, transcribe_async
from ._transcript import Segment, Transcript
from ._types import InputAudio, InputAudioPart, TextPart
from ._usage import UsageReport
from ._version import __version__ as __version__
from ._whisper import transcriptions

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MODEL",
    "MODELS",
    "SAMPLE_TRANSCRIPT",
    "AcrossChunksAnswer",
    "AdapterOptions",
    "Answer",
    "AnswersTable",
    "AsyncAudioChat",
    "AudioAsTextWarning",
    "AudioChat",
    "AudioChunk",
    "AudioEstimate",
    "AudioInfo",
    "AudioInput",
    "AudioNotHeardWarning",
    "AudioTooLargeError",
    "BatchEstimate",
    "BatchResult",
    "BatchResults",
    "CapabilitiesFileError",
    "ChatTurn",
    "ChunkAnswer",
    "ContextOverflowError",
    "CorruptAudioError",
    "DeadlineExceededError",
    "FittedAudio",
    "IncompleteStreamError",
    "InputAudio",
    "InputAudioPart",
    "InvalidAudioSourceError",
    "InvalidClientError",
    "InvalidOptionError",
    "InvalidResponseError",
    "InvalidTypeError",
    "KeyHostMismatchWarning",
    "Limits",
    "MimoAudioError",
    "MimoAudioWarning",
    "MissingAPIKeyError",
    "MissingExtraError",
    "ModelRetiringWarning",
    "ModelSpec",
    "OptionAliasWarning",
    "Price",
    "RequestEstimate",
    "ResultsFileError",
    "RetiredModelError",
    "RetryPolicy",
    "Segment",
    "Speech",
    "StreamNotFinishedError",
    "TextPart",
    "TranscribeProgress",
    "Transcript",
    "TruncatedAnswerWarning",
    "UnknownModelWarning",
    "UnsupportedAudioFormatError",
    "UnsupportedFeatureError",
    "UsageReport",
    "VoiceReferenceWarning",
    "adapter",
    "ask",
    "ask_across_chunks",
    "ask_across_chunks_async",
    "ask_async",
    "ask_batch",
    "ask_batch_async",
    "ask_stream",
    "ask_stream_async",
    "audio",
    "audio_chat",
    "audio_chat_async",
    "batch",
    "check_audio_heard",
    "compare_answers",
    "config",
    "convert_audio",
    "display_part",
    "doctor",
    "emulator",
    "estimate_audio_tokens",
    "estimate_batch",
    "estimate_request",
    "fit_audio",
    "get_model",
    "input_audio_part",
    "migrate",
    "mimo_async_client",
    "mimo_async_http_client",
    "mimo_client",
    "mimo_http_client",
    "plot_audio",
    "probe_audio",
    "proxy",
    "read_answer",
    "read_reasoning",
    "retry",
    "sample_audio_path",
    "speak",
    "speak_async",
    "speech",
    "split_audio",
    "streaming",
    "text_part",
    "thinking",
    "to_mimo_messages",
    "to_openai_messages",
    "transcribe",
    "transcribe_async",
    "transcriptions",
    "user_message",
]

_MOVED = {
    module.__name__.rpartition(".")[2]: module
    for module in (audio, batch, config, doctor, emulator, migrate, retry, streaming)
}
_MOVED_NAMES = {
    name: where for where, module in _MOVED.items() for name in module.__all__ if name not in __all__
}
"""Names that left the top namespace in 0.2 for a named submodule; kept as deprecated aliases."""


def __getattr__(name: str) -> object:
    """A name that moved to a submodule still works for one release, with a ``DeprecationWarning``."""
    where = _MOVED_NAMES.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _sys._getframe(1).f_code.co_name != "_handle_fromlist":
        # ``from mimo_openai_ext import old_name`` asks twice (the import system's hasattr,
        # then the name itself): only the second ask, at the user's line, warns
        _warnings.warn(
            f"mimo_openai_ext.{name} moved to mimo_openai_ext.{where}.{name}; import it from there "
            "(the old name goes away in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
    return getattr(_MOVED[where], name)
