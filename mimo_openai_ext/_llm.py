"""A plugin for simonw's ``llm``: MiMo's audio models, taking every audio format MiMo takes.

llm's own OpenAI-compatible models (an ``extra-openai-models.yaml`` entry with
``audio: true``) take only WAV and MP3 attachments, and send them in OpenAI's shape; pointed
at ``mimo-audio proxy`` they work for those two. Installed beside llm
(``llm install mimo-openai-ext``), this module registers MiMo's audio models from
:data:`~mimo_openai_ext.config.MODELS` instead, so ``llm -m mimo-v2.6-flash -a memo.m4a "..."``
works for WAV, MP3, FLAC, M4A and OGG: an attachment is accepted when its bytes are audio
MiMo takes (llm's MIME guess has no name for some M4A), and the requests go through
:func:`~mimo_openai_ext.mimo_http_client`. llm labels every attachment that is not WAV
``"mp3"``, so here the adapter reads the format from the bytes alone (``check_format=False``).

The key: ``llm keys set mimo``, or ``MIMO_API_KEY``; the host: ``MIMO_BASE_URL`` or MiMo's.
llm imports this module (entry point ``llm``); this package never does.
"""

from __future__ import annotations

import os
from typing import Any

import llm
from llm.default_plugins.openai_models import AsyncChat, Chat

from ._adapter._rules import AdapterOptions
from ._adapter._transport import mimo_async_http_client, mimo_http_client
from ._audio.sniff import sniff_audio
from ._config import AUDIO_FORMATS, DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL, MODELS

__all__ = ["AsyncMimoChat", "MimoChat", "register_models"]

_TRUST_BYTES = AdapterOptions(check_format=False)
_AUDIO_TYPES = frozenset(mime for spec in AUDIO_FORMATS.values() for mime in (spec.mime, *spec.aliases))


class _Mimo:
    """What the sync and async models share: key, host, attachments, and the adapter's client."""

    needs_key = "mimo"
    key_env_var = ENV_API_KEY

    def __str__(self) -> str:
        return f"MiMo: {getattr(self, 'model_id', '?')}"

    def _setup(self, model_id: str) -> dict[str, Any]:
        return {
            "model_name": model_id,
            "api_base": os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
            "audio": True,
        }

    def _validate_attachments(self, attachments: list[Any] | None = None) -> None:
        """An attachment is fine when llm names it a MiMo type or its bytes are MiMo audio."""
        for attachment in attachments or []:
            if (attachment.resolve_type() or "") not in _AUDIO_TYPES:
                sniff_audio(attachment.content_bytes(), source_name=attachment.path or "<attachment>")

    def _client_kwargs(self, key: str | None) -> dict[str, Any]:
        get_key: Any = getattr(self, "get_key")  # noqa: B009 - llm's KeyModel method
        return {"api_key": get_key(key), "base_url": getattr(self, "api_base")}  # noqa: B009


class MimoChat(_Mimo, Chat):  # type: ignore[misc]
    """A MiMo model for ``llm`` (sync)."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id, **self._setup(model_id))
        self.attachment_types = set(_AUDIO_TYPES)

    def get_client(self, key: str | None, *, async_: bool = False) -> Any:
        import openai

        if async_:
            return openai.AsyncOpenAI(
                http_client=mimo_async_http_client(options=_TRUST_BYTES), **self._client_kwargs(key)
            )
        return openai.OpenAI(http_client=mimo_http_client(options=_TRUST_BYTES), **self._client_kwargs(key))


class AsyncMimoChat(_Mimo, AsyncChat):  # type: ignore[misc]
    """A MiMo model for ``llm`` (async)."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id, **self._setup(model_id))
        self.attachment_types = set(_AUDIO_TYPES)

    def get_client(self, key: str | None, *, async_: bool = True) -> Any:
        import openai

        return openai.AsyncOpenAI(
            http_client=mimo_async_http_client(options=_TRUST_BYTES), **self._client_kwargs(key)
        )


@llm.hookimpl  # type: ignore[untyped-decorator]
def register_models(register: Any) -> None:
    """Every model of the table that hears audio (the transcription-only and retired ones aside)."""
    for spec in MODELS.values():
        if spec.audio_input and not spec.asr and spec.retirement is None:
            register(MimoChat(spec.id), AsyncMimoChat(spec.id))
