"""The options of one ``speak()`` and what they resolve to, checked before any request.

:class:`SpeakOptions` holds them (the ``speak*`` functions' keywords, one definition);
:func:`plan_speech` turns the text and the options into a :class:`SpeechPlan`: the model
(from the table: a preset, a described or a cloned voice, ``DEFAULT_SPEECH_MODELS``), the
voice (a MiMo preset id, or an OpenAI name mapped through ``OPENAI_VOICE_MAP``), the
pieces of text (:func:`split_text` at the model's ``max_input_chars``), the format asked of
MiMo, and a cloning reference as the WAV data URI MiMo wants (any audio this library
reads, converted by the audio wing's :func:`fit_wav`). Every mistake is refused here:
nothing has been sent yet.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .._audio.datauri import data_uri
from .._audio.encode import TEMPO_RANGE, decode_pcm, fit_wav
from .._audio.source import AudioSource, source_name_of
from .._batch.rate import RateLimiter
from .._checks import check_count, check_limits, check_number, check_str, check_type
from .._config import (
    DEFAULT_SPEECH_MODELS,
    MODELS,
    OPENAI_SPEECH_MODEL_MAP,
    OPENAI_VOICE_MAP,
    SPEECH_FORMATS,
    Limits,
    MimoSpeechFormat,
    ModelSpec,
    SpeechFormat,
    SpeechSpec,
    VoiceKind,
)
from .._exceptions import InvalidOptionError, UnsupportedFeatureError, VoiceReferenceWarning
from .._models import check_model, current_models
from .._retry import RetryPolicy
from .._warn import warn
from .text import leading_style, split_text

__all__ = ["SpeakOptions", "SpeechPlan", "plan_speech", "resolve_voice", "speech_model", "warn_reference"]

_UNKNOWN_SPEC = SpeechSpec("preset")
"""What an id the table does not know is assumed to take (its voice passes unchecked)."""


@dataclass(frozen=True, kw_only=True)
class SpeakOptions:
    """The options of one ``speak()``, checked when built. The defaults are ``speak()``'s."""

    voice: str | None = None
    """A preset voice (``"Mia"``, ``"冰糖"``, ...; an OpenAI name such as ``"alloy"`` is mapped).
    None: the model's ``SpeechSpec.default_voice``."""
    format: SpeechFormat = "wav"
    model: str | None = None
    """None: ``DEFAULT_SPEECH_MODELS`` for the way the voice is chosen."""
    voice_design: str | None = None
    """A description of the voice in words (the voice-design model)."""
    voice_clone: AudioSource | None = field(default=None, repr=False)
    """A reference recording to imitate (the voice-cloning model): any audio this library reads."""
    style: str | None = None
    """How to say it, in words ("slowly, warmly"): MiMo's natural-language control (a user message)."""
    speed: float = 1.0
    """Played this many times as fast (0.25-4.0), at the same pitch, changed here."""
    max_chars: int | None = None
    """Characters per request; None: the model's ``SpeechSpec.max_input_chars``."""
    concurrency: int = 4
    """Pieces of a long text spoken at once."""
    rate_limiter: RateLimiter | None = None
    """The requests-per-minute ceiling the pieces share (default: ``Limits.requests_per_minute``)."""
    retry: RetryPolicy | None = None
    limits: Limits | None = None

    def __post_init__(self) -> None:
        check_str(self.voice, option="voice", none=True)
        if self.format not in SPEECH_FORMATS:
            raise InvalidOptionError(
                f"format={self.format!r}: speak() delivers {', '.join(SPEECH_FORMATS)} (MiMo returns wav, "
                "mp3 and pcm; flac, opus and aac are encoded here from its WAV)",
                option="format",
            )
        check_str(self.model, option="model", none=True)
        check_str(self.voice_design, option="voice_design", none=True)
        check_str(self.style, option="style", none=True)
        low, high = TEMPO_RANGE
        check_number(self.speed, option="speed", low=low, high=high)
        check_count(self.max_chars, option="max_chars", minimum=20, none=True)
        check_count(self.concurrency, option="concurrency")
        check_type(self.rate_limiter, RateLimiter, option="rate_limiter", expected="a RateLimiter", none=True)
        check_type(self.retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
        check_limits(self.limits)
        if self.voice_design is not None and self.voice_clone is not None:
            raise InvalidOptionError(
                "voice_design and voice_clone both given: a voice is either described in words "
                "(voice_design, the voice-design model) or imitated from a recording (voice_clone, "
                "the voice-cloning model); pass one of them",
                option="voice_design",
            )
        if self.voice is not None and self.kind != "preset":
            other = "voice_design" if self.voice_design is not None else "voice_clone"
            raise InvalidOptionError(
                f"voice={self.voice!r} with {other}: MiMo's {self.kind} model takes no built-in voice; "
                f"drop voice= (the {other} is the voice)",
                option="voice",
            )

    @property
    def kind(self) -> VoiceKind:
        """How the voice is chosen: ``clone``, ``design`` or ``preset``."""
        if self.voice_clone is not None:
            return "clone"
        return "design" if self.voice_design is not None else "preset"


@dataclass(frozen=True)
class SpeechPlan:
    """What one ``speak()`` will send: model, voice, pieces of text and formats."""

    model: ModelSpec
    speech: SpeechSpec
    kind: VoiceKind
    voice: str | None
    """The preset voice id sent (``preset``), else None."""
    pieces: tuple[str, ...]
    wire_format: MimoSpeechFormat
    """What MiMo is asked for: the format itself when MiMo's bytes are kept as they are,
    else WAV (joined, sped up or encoded here)."""
    format: SpeechFormat
    text: str
    user_text: str | None = None
    """The user message: the voice description and/or the style, or None."""
    reference_uri: str | None = field(default=None, repr=False)
    """The cloning reference as ``data:audio/wav;base64,...``."""
    reference_name: str | None = None
    speed: float = 1.0
    reference_duration_s: float | None = None
    """The cloning reference's length (None without one)."""

    @property
    def passthrough(self) -> bool:
        """One request whose bytes are the answer as they are (no join, speed or encoding)."""
        return len(self.pieces) == 1 and self.wire_format == self.format


def speech_model(options: SpeakOptions) -> ModelSpec:
    """The model for the options: a known non-speech model, or one whose voice kind differs, is refused."""
    model_id = options.model or DEFAULT_SPEECH_MODELS[options.kind]
    model_id = OPENAI_SPEECH_MODEL_MAP.get(model_id, model_id)  # "tts-1" means MiMo's preset model
    spec = check_model(model_id)
    speech_models = [m for m in current_models() if m.speech is not None]
    if spec.status == "unknown":
        return spec
    if spec.speech is None:
        listed = ", ".join(m.id for m in speech_models) or "none in MODELS"
        raise UnsupportedFeatureError(
            f"{model_id} is not a speech model (MODELS[{model_id!r}].speech is None): speak() needs one of "
            f"{listed}; leave model= out to get {DEFAULT_SPEECH_MODELS[options.kind]}"
        )
    if spec.speech.voice_kind != options.kind:
        fitting = [
            m.id for m in speech_models if m.speech is not None and m.speech.voice_kind == options.kind
        ]
        how = {"preset": "voice=", "design": "voice_design=", "clone": "voice_clone="}
        raise UnsupportedFeatureError(
            f"{model_id} takes its voice by {how[spec.speech.voice_kind]} ({spec.speech.voice_kind}), but "
            f"this call chose it by {how[options.kind]}: use {' or '.join(fitting) or 'another model'}, "
            "or leave model= out to have it picked"
        )
    return spec


def resolve_voice(voice: str | None, speech: SpeechSpec, model_id: str, *, known: bool = True) -> str | None:
    """The preset id to send: MiMo's own, or a name through ``OPENAI_VOICE_MAP`` (both in any case)."""
    if voice is None:
        return speech.default_voice
    openai_names = {name.casefold(): mimo for name, mimo in OPENAI_VOICE_MAP.items()}  # read per call
    mapped = openai_names.get(voice.casefold())
    if not known or not speech.voices:
        return voice if mapped is None else mapped
    by_case = {v.casefold(): v for v in speech.voices}
    found = by_case.get(voice.casefold()) or by_case.get((mapped or "").casefold())
    if found is not None:
        return found
    listed = ", ".join(sorted(OPENAI_VOICE_MAP))
    raise InvalidOptionError(
        f"voice={voice!r}: {model_id}'s voices are {', '.join(speech.voices)} (SpeechSpec.voices), and "
        f"OpenAI's names ({listed}) map onto them (OPENAI_VOICE_MAP); for a voice of your own, "
        "describe it (voice_design=) or clone it from a recording (voice_clone=)",
        option="voice",
    )


_SILENT_PEAK = 10 ** (-60 / 20)
"""A reference whose loudest sample is below -60 dBFS holds no voice to imitate."""


def _reference(options: SpeakOptions, speech: SpeechSpec) -> tuple[str | None, str | None, float | None]:
    """The reference as a WAV data URI, its name and its duration; a silent one is refused."""
    if options.voice_clone is None:
        return None, None, None
    name = source_name_of(options.voice_clone, None)
    fitted = fit_wav(options.voice_clone, max_data_uri_chars=speech.reference_max_data_uri_chars)
    shown = name or "the voice_clone reference"
    pcm = decode_pcm(fitted.data, source_name=shown)
    peak = float(abs(pcm.samples).max()) if pcm.frames else 0.0
    if peak < _SILENT_PEAK:
        level = f"its loudest sample at {20 * math.log10(peak):.0f} dBFS" if peak > 0 else "no sound at all"
        low, high = speech.reference_seconds
        raise InvalidOptionError(
            f"{shown}: the voice_clone reference is silent ({pcm.duration_s:.2f} s, {level}): MiMo "
            f"imitates the voice it hears; give {low:g}-{high:g} s of clear speech",
            option="voice_clone",
        )
    return data_uri(fitted.data, "audio/wav"), name, pcm.duration_s


def warn_reference(plan: SpeechPlan) -> None:
    """Warn :class:`VoiceReferenceWarning` when the reference is outside ``reference_seconds``.

    Called by the ``speak*`` functions after the plan (an async twin plans on a worker
    thread), so the warning names the caller's line.
    """
    seconds = plan.reference_duration_s
    if seconds is None:
        return
    low, high = plan.speech.reference_seconds
    if low <= seconds <= high:
        return
    what = "short" if seconds < low else "long"
    warn(
        f"{plan.reference_name or 'the voice_clone reference'}: {seconds:.2f} s is {what} for a voice "
        f"reference; MiMo recommends {low:g}-{high:g} s of clear speech (SpeechSpec.reference_seconds), "
        "and a clone from it may not sound like the speaker",
        VoiceReferenceWarning,
    )


def _user_text(options: SpeakOptions) -> str | None:
    """MiMo's user message: the voice description (design), then the style, if any."""
    texts = [t.strip() for t in (options.voice_design, options.style) if t is not None]
    return "\n".join(texts) or None


_MIN_PIECE_CHARS = 20
"""Text each piece must carry besides a repeated leading style tag (``max_chars``' own minimum)."""


def _check_style_room(text: str, max_chars: int) -> None:
    """A leading style tag starts every piece: one that leaves too little room is refused."""
    body = text.strip()
    style, _ = leading_style(body)
    if not style or len(body) <= max_chars:
        return
    room = max_chars - len(style) - 1
    if room < _MIN_PIECE_CHARS:
        raise InvalidOptionError(
            f"max_chars={max_chars}: the leading style tag {style!r} ({len(style)} characters) starts "
            f"every piece, leaving {max(room, 0)} characters of text per request; raise max_chars to at "
            f"least {len(style) + 1 + _MIN_PIECE_CHARS}, or shorten the tag",
            option="max_chars",
        )


def plan_speech(text: object, options: SpeakOptions) -> SpeechPlan:
    """The plan for ``text``; everything is checked (nothing is sent)."""
    check_type(options, SpeakOptions, option="options", expected="a SpeakOptions")
    if not isinstance(text, str) or not text.strip():
        raise InvalidOptionError(
            f"text={text!r:.60}: speak() needs the words to say (a non-empty str)", option="text"
        )
    spec = speech_model(options)
    known = spec.status != "unknown" and spec.id in MODELS
    speech = (
        spec.speech
        if spec.speech is not None
        else dataclasses.replace(_UNKNOWN_SPEC, voice_kind=options.kind)
    )
    voice = resolve_voice(options.voice, speech, spec.id, known=known) if options.kind == "preset" else None
    max_chars = options.max_chars or speech.max_input_chars
    _check_style_room(text, max_chars)
    pieces = tuple(split_text(text, max_chars))
    keep = len(pieces) == 1 and options.speed == 1.0 and options.format in ("wav", "mp3")
    wire: MimoSpeechFormat = "mp3" if keep and options.format == "mp3" else "wav"
    reference_uri, reference_name, reference_s = _reference(options, speech)
    return SpeechPlan(
        model=spec,
        speech=speech,
        kind=options.kind,
        voice=voice,
        pieces=pieces,
        wire_format=wire,
        format=options.format,
        text=text,
        user_text=_user_text(options),
        reference_uri=reference_uri,
        reference_name=reference_name,
        speed=float(options.speed),
        reference_duration_s=reference_s,
    )
