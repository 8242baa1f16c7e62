"""Every error and warning this library raises.

Exceptions::

    MimoAudioError                      (root; never raised itself)
    ├── InvalidAudioSourceError         (+ ValueError)  not a path/bytes/file/URL/data URI we can use
    ├── UnsupportedAudioFormatError     (+ ValueError)  real audio, but not a format MiMo accepts
    ├── CorruptAudioError               (+ ValueError)  empty, truncated or unreadable bytes
    ├── AudioTooLargeError              (+ ValueError)  over MiMo's size limit
    ├── ContextOverflowError            (+ ValueError)  a request that cannot fit the model's context
    ├── RetiredModelError               (+ ValueError)  a model the table says MiMo retired (nothing sent)
    ├── CapabilitiesFileError           (+ ValueError)  a MIMO_CAPABILITIES file we cannot apply
    ├── MissingAPIKeyError              (+ ValueError)  no key from the argument nor the env var
    ├── MissingExtraError               (+ ImportError) a package the feature needs is missing
    ├── UnsupportedFeatureError         (+ ValueError)  an OpenAI feature with no MiMo equivalent
    ├── ResultsFileError                (+ ValueError)  a batch results file we must not append to
    ├── InvalidOptionError              (+ ValueError)  an option value out of range (max_bytes, ...)
    │   └── InvalidTypeError            (+ TypeError)   an argument of the wrong type
    │       └── InvalidClientError                      not the openai client kind the call needs
    ├── StreamNotFinishedError          (+ RuntimeError) answer() asked before the stream ended
    ├── InvalidResponseError            (+ ValueError)  a success status whose body is no chat completion
    │   └── IncompleteStreamError                       a stream that ended without its finish_reason
    └── DeadlineExceededError           (+ TimeoutError) RetryPolicy.timeout_s passed before the answer

Warnings::

    MimoAudioWarning (UserWarning)
    ├── UnknownModelWarning             a model id missing from MODELS (passed through)
    ├── ModelRetiringWarning            a model MiMo retires within RETIREMENT_WARNING_DAYS
    ├── OptionAliasWarning              an OpenAI option name translated (max_tokens), said once
    ├── KeyHostMismatchWarning          a Token Plan key on the pay-as-you-go host, or the reverse
    ├── AudioNotHeardWarning            usage says the audio was ignored or short-changed
    ├── TruncatedAnswerWarning          finish_reason "length" or "repetition_truncation"
    ├── VoiceReferenceWarning           a voice_clone reference outside the recommended length
    └── AudioAsTextWarning              a string that looks like audio, sent as a text part

``openai``'s own exceptions (``openai.BadRequestError``, ...) pass through unwrapped.
Every message says what was found, what is allowed and what to do, and names the
file (or ``<bytes>``).
"""

from __future__ import annotations

__all__ = [
    "AudioAsTextWarning",
    "AudioNotHeardWarning",
    "AudioTooLargeError",
    "CapabilitiesFileError",
    "ContextOverflowError",
    "CorruptAudioError",
    "DeadlineExceededError",
    "IncompleteStreamError",
    "InvalidAudioSourceError",
    "InvalidClientError",
    "InvalidOptionError",
    "InvalidResponseError",
    "InvalidTypeError",
    "KeyHostMismatchWarning",
    "MimoAudioError",
    "MimoAudioWarning",
    "MissingAPIKeyError",
    "MissingExtraError",
    "ModelRetiringWarning",
    "OptionAliasWarning",
    "ResultsFileError",
    "RetiredModelError",
    "StreamNotFinishedError",
    "TruncatedAnswerWarning",
    "UnknownModelWarning",
    "UnsupportedAudioFormatError",
    "UnsupportedFeatureError",
    "VoiceReferenceWarning",
]


class MimoAudioError(Exception):
    """Root of every error this library raises."""


class InvalidAudioSourceError(MimoAudioError, ValueError):
    """The source is not something we can read: wrong type, bad URL scheme, missing file."""

    def __init__(self, message: str, *, source_name: str = "<source>") -> None:
        super().__init__(message)
        self.source_name = source_name


class UnsupportedAudioFormatError(MimoAudioError, ValueError):
    """Real media, but in a format MiMo does not accept.

    ``convertible`` is False when converting cannot help: not audio at all (an image,
    text, a MIDI file), a tracker module, DRM-protected or headerless audio.
    """

    def __init__(
        self,
        message: str,
        *,
        source_name: str = "<bytes>",
        found: str = "unknown",
        allowed: tuple[str, ...] = ("mp3", "wav", "flac", "m4a", "ogg"),
        convertible: bool = True,
    ) -> None:
        super().__init__(message)
        self.source_name = source_name
        self.found = found
        self.allowed = allowed
        self.convertible = convertible


class CorruptAudioError(MimoAudioError, ValueError):
    """Empty, truncated or otherwise unreadable audio."""

    def __init__(self, message: str, *, source_name: str = "<bytes>") -> None:
        super().__init__(message)
        self.source_name = source_name


class AudioTooLargeError(MimoAudioError, ValueError):
    """Audio over one of MiMo's size limits."""

    def __init__(self, message: str, *, source_name: str = "<bytes>", size: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.source_name = source_name
        self.size = size
        self.limit = limit


class ContextOverflowError(MimoAudioError, ValueError):
    """A request whose estimated tokens cannot fit the model's context window."""

    def __init__(self, message: str, *, estimated_tokens: int = 0, context_tokens: int = 0) -> None:
        super().__init__(message)
        self.estimated_tokens = estimated_tokens
        self.context_tokens = context_tokens


class RetiredModelError(MimoAudioError, ValueError):
    """A model that ``MODELS`` says MiMo retired; raised before any request.

    ``model``, ``retired_on`` (``"2026-10-21"``) and ``successor`` (or None) say what and
    when; the message says how to send it anyway (``allow_retired``) should the table be wrong.
    """

    def __init__(self, message: str, *, model: str, retired_on: str, successor: str | None) -> None:
        super().__init__(message)
        self.model = model
        self.retired_on = retired_on
        self.successor = successor


class CapabilitiesFileError(MimoAudioError, ValueError):
    """A capabilities file (``MIMO_CAPABILITIES``, ``load_capabilities``) that cannot be applied."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class MissingAPIKeyError(MimoAudioError, ValueError):
    """No API key was given as an argument nor found in the environment."""


class MissingExtraError(MimoAudioError, ImportError):
    """A package the feature needs is missing; the message says what to install.

    (PyAV, once the ``convert`` extra, is now a core dependency: this is raised only
    when an install left it out, e.g. ``pip install --no-deps``.)
    """

    def __init__(self, message: str, *, extra: str) -> None:
        super().__init__(message)
        self.extra = extra

    @classmethod
    def for_module(cls, module: str, *, extra: str, needed_by: str) -> MissingExtraError:
        """``needed_by`` (``"BatchResults.to_pandas()"``) needs ``module``, which ``extra`` installs."""
        return cls(
            f"{needed_by} needs {module}, which is not installed: pip install 'mimo-openai-ext[{extra}]' "
            f"(or pip install {module})",
            extra=extra,
        )


class UnsupportedFeatureError(MimoAudioError, ValueError):
    """An OpenAI feature that has no MiMo equivalent (timestamps, srt, ...)."""


class MimoAudioWarning(UserWarning):
    """Root of every warning this library emits."""


class UnknownModelWarning(MimoAudioWarning):
    """A model id missing from ``MODELS``; it is passed through unchanged."""


class ModelRetiringWarning(MimoAudioWarning):
    """A model MiMo has announced to retire within ``RETIREMENT_WARNING_DAYS``; it still works."""


class OptionAliasWarning(MimoAudioWarning):
    """An OpenAI option name translated to MiMo's (``max_tokens`` -> ``max_completion_tokens``)."""


class KeyHostMismatchWarning(MimoAudioWarning):
    """A key of one kind sent to the other kind of host (MiMo answers 401)."""


class AudioNotHeardWarning(MimoAudioWarning):
    """The response's ``audio_tokens`` is 0 or far from the estimate."""


class TruncatedAnswerWarning(MimoAudioWarning):
    """The answer was cut (``finish_reason`` ``length`` or ``repetition_truncation``)."""


class VoiceReferenceWarning(MimoAudioWarning):
    """A ``voice_clone`` reference shorter or longer than ``SpeechSpec.reference_seconds``."""


class ResultsFileError(MimoAudioError, ValueError):
    """A batch results (JSONL) file that exists without ``resume``, is locked, or is corrupt."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class InvalidOptionError(MimoAudioError, ValueError):
    """An option value that cannot work (``max_bytes`` below 1024, a negative overlap, ...)."""

    def __init__(self, message: str, *, option: str) -> None:
        super().__init__(message)
        self.option = option


class InvalidTypeError(InvalidOptionError, TypeError):
    """An argument of the wrong type (``text_part(42)``); also a ``TypeError``."""


class InvalidClientError(InvalidTypeError):
    """Not the client a call needs: ``ask()`` given an ``AsyncOpenAI``, a path, ... (option "client")."""

    def __init__(self, message: str) -> None:
        super().__init__(message, option="client")


class StreamNotFinishedError(MimoAudioError, RuntimeError):
    """``answer()`` called on a stream that has not been iterated to its end."""


class AudioAsTextWarning(MimoAudioWarning):
    """A string that looks like audio (an audio file path, a URL, a data URI) became a text part."""


class InvalidResponseError(MimoAudioError, ValueError):
    """A success status whose body is not what was asked for: ``{"error": ...}``, no or empty
    ``choices``, HTML or broken JSON instead of a chat completion, a malformed stream chunk.

    Gateways answer this way under load, so the retry layer retries it like a 5xx.
    ``status_code`` is the HTTP status (200 mostly) and ``body`` the start of what came back.
    """

    def __init__(self, message: str, *, status_code: int | None = 200, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class IncompleteStreamError(InvalidResponseError):
    """A stream that ended (or broke) before its ``finish_reason``: the answer is incomplete.

    ``text`` and ``reasoning`` hold what had arrived, so nothing received is lost.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str = "",
        reasoning: str = "",
        status_code: int | None = 200,
        body: str = "",
    ) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.text = text
        self.reasoning = reasoning


class DeadlineExceededError(MimoAudioError, TimeoutError):
    """``RetryPolicy.timeout_s`` passed before the call had its answer (attempts and waits included).

    ``text`` and ``reasoning`` hold what a stream had delivered by then ("" otherwise).
    """

    def __init__(
        self, message: str, *, timeout_s: float, elapsed_s: float, text: str = "", reasoning: str = ""
    ) -> None:
        super().__init__(message)
        self.timeout_s = timeout_s
        self.elapsed_s = elapsed_s
        self.text = text
        self.reasoning = reasoning
