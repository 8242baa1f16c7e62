"""The audio toolkit: read, sniff, probe, encode, convert, fit and split audio, offline.

The everyday verbs are also at the top (``probe_audio``, ``fit_audio``, ``split_audio``,
``convert_audio``, ``plot_audio``); this module adds the specialist pieces::

    from mimo_openai_ext.audio import sniff_audio, probe_bytes, read_source, data_uri
"""

from __future__ import annotations

from ._audio.convert import convert_audio, encode_array
from ._audio.datauri import data_uri, inline_limit_bytes
from ._audio.decode import SourceAudioInfo
from ._audio.fit import FittedAudio, fit_audio
from ._audio.probe import AudioInfo, probe_audio, probe_bytes
from ._audio.sniff import SniffResult, sniff_audio
from ._audio.source import AudioSource, read_source
from ._audio.split import AudioChunk, split_audio
from ._audio.tokens import estimate_audio_tokens
from ._audio.waveform import plot_audio
from ._config import CONVERTIBLE_EXTENSIONS
from ._plot import Plot, TimeSpan
from ._request_estimate import AudioLimitCheck, check_audio_limits

__all__ = [
    "CONVERTIBLE_EXTENSIONS",
    "AudioChunk",
    "AudioInfo",
    "AudioLimitCheck",
    "AudioSource",
    "FittedAudio",
    "Plot",
    "SniffResult",
    "SourceAudioInfo",
    "TimeSpan",
    "check_audio_limits",
    "convert_audio",
    "data_uri",
    "encode_array",
    "estimate_audio_tokens",
    "fit_audio",
    "inline_limit_bytes",
    "plot_audio",
    "probe_audio",
    "probe_bytes",
    "read_source",
    "sniff_audio",
    "split_audio",
]
