"""Capabilities files: what ``mimo-audio doctor`` found on an account, applied over ``MODELS``.

A capabilities file is JSON::

    {"format": "mimo-capabilities/1", "checked_at": "2026-12-01T12:00:00+00:00",
     "written_by": "mimo-audio doctor (mimo-openai-ext 0.1.0)",
     "models": {"mimo-v2.6-flash": {"audio_input": true, "audio_evidence": "checked",
                                    "reasoning_efforts": ["none", "low", "medium", "high"]},
                "mimo-v2.5": {"retirement": null}}}

Each model entry replaces those fields of its ``ModelSpec`` (``audio_input``,
``audio_evidence``, ``reasoning_efforts``, ``retirement`` as ``null`` or ``{"at": ISO 8601,
"successor": id or null, "source": text}``, ``status``); an id the table lacks is added
(audio per the file, a 1,048,576-token context, no price). ``load_capabilities(path)``
applies a file now; ``apply_env_capabilities()`` applies ``MIMO_CAPABILITIES`` when a model
lookup asks (``_models``), once per path, never at import. A file that cannot be applied is
a :class:`CapabilitiesFileError` naming the file and the entry.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._checks import check_path
from ._config import AUDIO_EVIDENCE, ENV_CAPABILITIES, MODELS, REASONING_EFFORTS, ModelSpec, Retirement
from ._exceptions import CapabilitiesFileError

__all__ = [
    "CAPABILITIES_FORMAT",
    "apply_env_capabilities",
    "capabilities_document",
    "load_capabilities",
    "retirement_data",
]

CAPABILITIES_FORMAT = "mimo-capabilities/1"
_FIELDS = ("audio_input", "audio_evidence", "reasoning_efforts", "retirement", "status")
_lock = threading.Lock()
_applied_env_path: str | None = None


def retirement_data(retirement: Retirement | None) -> dict[str, Any] | None:
    """A ``Retirement`` as the file spells it (``None`` stays ``None``)."""
    if retirement is None:
        return None
    return {"at": retirement.at.isoformat(), "successor": retirement.successor, "source": retirement.source}


def capabilities_document(
    models: Mapping[str, Mapping[str, Any]], *, checked_at: datetime, written_by: str, base_url: str
) -> dict[str, Any]:
    """The JSON document for ``models`` (id -> fields to override), as ``load_capabilities`` reads it."""
    return {
        "format": CAPABILITIES_FORMAT,
        "checked_at": checked_at.isoformat(),
        "written_by": written_by,
        "base_url": base_url,
        "models": {model_id: dict(fields) for model_id, fields in models.items()},
    }


def _fail(path: str, what: str) -> CapabilitiesFileError:
    return CapabilitiesFileError(
        f"{path}: {what}; a capabilities file is what `mimo-audio doctor --write-capabilities PATH` "
        "writes: run it again, or fix or remove the file (and unset MIMO_CAPABILITIES)",
        path=path,
    )


def _retirement(value: object, path: str, where: str) -> Retirement | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(path, f"{where}.retirement must be null or an object, not {value!r:.60}")
    try:
        at = datetime.fromisoformat(str(value.get("at")))
    except ValueError:
        shown = repr(value.get("at"))[:60]
        raise _fail(path, f"{where}.retirement.at must be an ISO 8601 time, not {shown}") from None
    if at.tzinfo is None:
        raise _fail(path, f"{where}.retirement.at must carry its time zone (+08:00 for Beijing time)")
    successor = value.get("successor")
    if successor is not None and not isinstance(successor, str):
        raise _fail(path, f"{where}.retirement.successor must be a model id or null")
    return Retirement(at, successor, str(value.get("source") or f"capabilities file {path}"))


def _changes(entry: object, path: str, where: str) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise _fail(path, f"{where} must be an object of fields, not {entry!r:.60}")
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise _fail(path, f"{where} has unknown fields {unknown} (known: {', '.join(_FIELDS)})")
    changes: dict[str, Any] = {}
    if "audio_input" in entry:
        if not isinstance(entry["audio_input"], bool):
            raise _fail(path, f"{where}.audio_input must be true or false")
        changes["audio_input"] = entry["audio_input"]
    if "audio_evidence" in entry:
        if entry["audio_evidence"] not in AUDIO_EVIDENCE:
            raise _fail(path, f"{where}.audio_evidence must be one of {', '.join(AUDIO_EVIDENCE)}")
        changes["audio_evidence"] = entry["audio_evidence"]
    if "reasoning_efforts" in entry:
        efforts = entry["reasoning_efforts"]
        if not isinstance(efforts, list) or any(e not in REASONING_EFFORTS for e in efforts):
            raise _fail(path, f"{where}.reasoning_efforts must be a list of {', '.join(REASONING_EFFORTS)}")
        changes["reasoning_efforts"] = tuple(e for e in REASONING_EFFORTS if e in efforts)
    if "retirement" in entry:
        changes["retirement"] = _retirement(entry["retirement"], path, where)
    if "status" in entry:
        changes["status"] = str(entry["status"])
    return changes


def _read(path: str) -> dict[str, dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise _fail(path, f"is not JSON ({exc})") from None
    if not isinstance(document, Mapping) or document.get("format") != CAPABILITIES_FORMAT:
        raise _fail(path, f'is not a capabilities file (no "format": "{CAPABILITIES_FORMAT}")')
    models = document.get("models")
    if not isinstance(models, Mapping):
        raise _fail(path, '"models" must be an object of model id -> fields')
    return {str(k): _changes(v, path, f"models[{k!r}]") for k, v in models.items()}


def load_capabilities(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Apply a capabilities file to ``MODELS`` now; returns the model ids it changed or added.

    The whole file is checked before anything is applied (:class:`CapabilitiesFileError`).
    """
    check_path(path, option="path", none=False)
    name = os.fspath(path)
    overrides = _read(name)
    with _lock:
        for model_id, changes in overrides.items():
            spec = MODELS.get(model_id)
            if spec is None:
                spec = ModelSpec(model_id, True, 1_048_576, status=f"added from {name}")
            MODELS[model_id] = dataclasses.replace(spec, **changes)
    return tuple(overrides)


def apply_env_capabilities() -> None:
    """Apply the file ``MIMO_CAPABILITIES`` names, once per path (called by model lookups)."""
    global _applied_env_path
    path = os.environ.get(ENV_CAPABILITIES, "").strip()
    if not path or path == _applied_env_path:
        return
    load_capabilities(path)
    _applied_env_path = path
