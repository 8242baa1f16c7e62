"""mimo-openai-ext: Xiaomi MiMo audio understanding from ordinary ``openai`` SDK code.

Nothing happens at import: no environment reads, no network, no optional extras.
"""

from ._across import AcrossChunksAnswer, ChunkAnswer, ask_across_chunks, ask_across_chunks_async
from ._answer import Answer, read_answer, read_reasoning
from ._ask import ask, ask_async, ask_stream, ask_stream_async
from ._ask_request import AudioInput, thinking
from ._audio.convert import convert_audio, encode_array
from ._audio.datauri import data_uri
from ._audio.decode import SourceAudioInfo
from ._audio.fit import FittedAudio, fit_audio
from ._audio.probe import AudioInfo, probe_audio, probe_bytes
from ._audio.sniff import SniffResult, sniff_audio
from ._audio.source import AudioSource, read_source
from ._audio.split import AudioChunk, split_audio
from ._audio.tokens import estimate_audio_tokens
from ._batch.ask import ask_batch, ask_batch_async
from ._batch.estimate import BatchEstimate, estimate_batch
from ._batch.rate import RateLimiter
from ._batch.results import BatchResult, BatchResults
from ._batch.results_file import BatchErrorRecord, BatchRecord, read_results
from ._client import create_completion, create_completion_async, mimo_async_client, mimo_client
from ._config import (
    ASR_LANGUAGES,
    AUDIO_FORMATS,
    CONVERTIBLE_EXTENSIONS,
    DEFAULT_ASR_MODEL,
    DEFAULT_BASE_URL,
    DEFAULT_LIMITS,
    DEFAULT_MODEL,
    MODELS,
    OPENAI_INPUT_AUDIO_FORMATS,
    WHISPER_MODEL_MAP,
    AsrLanguage,
    AudioFormat,
    FormatSpec,
    Limits,
    ModelSpec,
    Price,
)
from ._display import display_part
from ._exceptions import (
    AudioAsTextWarning,
    AudioNotHeardWarning,
    AudioTooLargeError,
    ContextOverflowError,
    CorruptAudioError,
    InvalidAudioSourceError,
    InvalidClientError,
    InvalidOptionError,
    KeyHostMismatchWarning,
    MimoAudioError,
    MimoAudioWarning,
    MissingAPIKeyError,
    MissingExtraError,
    ResultsFileError,
    StreamNotFinishedError,
    TruncatedAnswerWarning,
    UnknownModelWarning,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
)
from ._heard import check_audio_heard
from ._messages import user_message
from ._migrate import to_mimo_messages, to_mimo_part, to_openai_messages, to_openai_part
from ._models import get_model
from ._parts import input_audio_part, text_part
from ._request_estimate import AudioEstimate, RequestEstimate, estimate_request
from ._retry import NO_RETRY, RetryEvent, RetryPolicy, set_testing
from ._sample import SAMPLE_TRANSCRIPT, sample_audio_path
from ._streaming import (
    AnswerStream,
    AsyncAnswerStream,
    AsyncStreamStarter,
    StreamDelta,
    stream_completion,
    stream_completion_async,
)
from ._transcribe import Transcript, transcribe, transcribe_async
from ._types import InputAudio, InputAudioPart, TextPart
from ._usage import UsageReport
from ._version import __version__ as __version__
from ._whisper import AsyncMimoTranscriptions, MimoTranscriptions, TranscriptionFile, transcriptions
from .emulator import EmulatorHandle, EmulatorOptions, RequestRecord, run_emulator, start_emulator

__all__ = [
    "ASR_LANGUAGES",
    "AUDIO_FORMATS",
    "CONVERTIBLE_EXTENSIONS",
    "DEFAULT_ASR_MODEL",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_MODEL",
    "MODELS",
    "NO_RETRY",
    "OPENAI_INPUT_AUDIO_FORMATS",
    "SAMPLE_TRANSCRIPT",
    "WHISPER_MODEL_MAP",
    "AcrossChunksAnswer",
    "Answer",
    "AnswerStream",
    "AsrLanguage",
    "AsyncAnswerStream",
    "AsyncMimoTranscriptions",
    "AsyncStreamStarter",
    "AudioAsTextWarning",
    "AudioChunk",
    "AudioEstimate",
    "AudioFormat",
    "AudioInfo",
    "AudioInput",
    "AudioNotHeardWarning",
    "AudioSource",
    "AudioTooLargeError",
    "BatchErrorRecord",
    "BatchEstimate",
    "BatchRecord",
    "BatchResult",
    "BatchResults",
    "ChunkAnswer",
    "ContextOverflowError",
    "CorruptAudioError",
    "EmulatorHandle",
    "EmulatorOptions",
    "FittedAudio",
    "FormatSpec",
    "InputAudio",
    "InputAudioPart",
    "InvalidAudioSourceError",
    "InvalidClientError",
    "InvalidOptionError",
    "KeyHostMismatchWarning",
    "Limits",
    "MimoAudioError",
    "MimoAudioWarning",
    "MimoTranscriptions",
    "MissingAPIKeyError",
    "MissingExtraError",
    "ModelSpec",
    "Price",
    "RateLimiter",
    "RequestEstimate",
    "RequestRecord",
    "ResultsFileError",
    "RetryEvent",
    "RetryPolicy",
    "SniffResult",
    "SourceAudioInfo",
    "StreamDelta",
    "StreamNotFinishedError",
    "TextPart",
    "Transcript",
    "TranscriptionFile",
    "TruncatedAnswerWarning",
    "UnknownModelWarning",
    "UnsupportedAudioFormatError",
    "UnsupportedFeatureError",
    "UsageReport",
    "ask",
    "ask_across_chunks",
    "ask_across_chunks_async",
    "ask_async",
    "ask_batch",
    "ask_batch_async",
    "ask_stream",
    "ask_stream_async",
    "check_audio_heard",
    "convert_audio",
    "create_completion",
    "create_completion_async",
    "data_uri",
    "display_part",
    "encode_array",
    "estimate_audio_tokens",
    "estimate_batch",
    "estimate_request",
    "fit_audio",
    "get_model",
    "input_audio_part",
    "mimo_async_client",
    "mimo_client",
    "probe_audio",
    "probe_bytes",
    "read_answer",
    "read_reasoning",
    "read_results",
    "read_source",
    "run_emulator",
    "sample_audio_path",
    "set_testing",
    "sniff_audio",
    "split_audio",
    "start_emulator",
    "stream_completion",
    "stream_completion_async",
    "text_part",
    "thinking",
    "to_mimo_messages",
    "to_mimo_part",
    "to_openai_messages",
    "to_openai_part",
    "transcribe",
    "transcribe_async",
    "transcriptions",
    "user_message",
]
