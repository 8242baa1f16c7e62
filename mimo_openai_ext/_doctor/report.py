"""What a doctor run found: the per-probe results, the answers to each question, the cost, the
printed table, the dated JSON report, and the model-table overrides (a capabilities file)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .._capabilities import capabilities_document
from .._config import AUDIO_FORMATS, REASONING_EFFORTS
from .._format import money
from .._models import model_error_note
from .._version import __version__
from .probes import BASE64_LIMIT_PROBE_CHARS, ProbeName, ProbeResult

__all__ = ["DoctorReport", "default_report_name"]

_NOT_CHECKED = {
    "retry_after": "not seen in this run (add --include-rate-limit to provoke one)",
    "base64_limit": "not checked: add --include-size / include_size=True (one request of about 51 MB)",
}
_LABELS = {
    "format_key": "a format key beside a data URI",
    "raw_base64": "raw base64 (no data: prefix)",
    "max_tokens": "max_tokens (OpenAI's name)",
    "retry_after": "Retry-After on a 429",
    "base64_limit": "base64 limit",
}


def default_report_name(checked_at: datetime) -> str:
    """``mimo-doctor-20261201-120500.json``."""
    return f"mimo-doctor-{checked_at.strftime('%Y%m%d-%H%M%S')}.json"


@dataclass(frozen=True)
class DoctorReport:
    """One ``run_doctor`` run: where, when, every probe, what it cost."""

    checked_at: datetime
    base_url: str
    models: tuple[str, ...]
    results: tuple[ProbeResult, ...]
    max_cost_usd: float
    cost_usd: float
    """What the priced answers cost."""
    unpriced_answers: int
    """Answers whose cost is unknown (models without a price)."""
    unpriced_cost_bound_usd: float
    """At most what those cost, at the cap's fallback price."""
    requests: int = 0
    """Requests sent in all (the rate-limit probe sends many)."""

    def of(self, probe: ProbeName) -> list[ProbeResult]:
        return [r for r in self.results if r.probe == probe]

    def _single(self, probe: ProbeName) -> str:
        found = self.of(probe)
        if not found:
            return "not checked"
        result = found[0]
        return f"{result.outcome} ({result.detail})" if result.detail else result.outcome

    def audio(self) -> dict[str, dict[str, str]]:
        """Model -> format -> ``heard`` / ``not heard`` / ``refused`` / ``error`` / ``skipped``."""
        table: dict[str, dict[str, str]] = {}
        for result in self.of("audio"):
            table.setdefault(result.model, {})[result.variant] = result.outcome
        return table

    def hears_audio(self, model: str) -> bool | None:
        """True when any format was heard; False when every probe was refused or not heard."""
        outcomes = list(self.audio().get(model, {}).values())
        if "heard" in outcomes:
            return True
        if outcomes and all(o in ("refused", "not heard") for o in outcomes):
            return False
        return None

    def efforts(self) -> dict[str, dict[str, list[str]]]:
        """Model -> ``accepted`` / ``refused`` / ``unsettled`` -> values."""
        table: dict[str, dict[str, list[str]]] = {}
        for result in self.of("reasoning_effort"):
            kind = result.outcome if result.outcome in ("accepted", "refused") else "unsettled"
            table.setdefault(result.model, {"accepted": [], "refused": [], "unsettled": []})[kind].append(
                result.variant
            )
        return table

    def findings(self) -> dict[str, Any]:
        """The answer to each question the doctor asks."""
        return {
            "audio": {
                model: {"formats": formats, "hears_audio": self.hears_audio(model)}
                for model, formats in self.audio().items()
            },
            "reasoning_effort": self.efforts(),
            "retired": {r.model: r.outcome for r in self.of("retired")},
            "format_key": self._single("format_key"),
            "raw_base64": self._single("raw_base64"),
            "max_tokens": self._single("max_tokens"),
            "retry_after": self._single("retry_after")
            if self.of("retry_after")
            else _NOT_CHECKED["retry_after"],
            "base64_limit": self._limit(),
        }

    def _limit(self) -> str:
        found = self.of("base64_limit")
        if not found:
            return _NOT_CHECKED["base64_limit"]
        outcome = found[0].outcome
        if outcome == "accepted":
            return (
                f"at least {BASE64_LIMIT_PROBE_CHARS:,} characters accepted: the limit is 50 MiB (52,428,800)"
            )
        if outcome == "refused":
            refused = f"{BASE64_LIMIT_PROBE_CHARS:,} characters refused"
            return f"{refused}: the limit is 50,000,000 ({found[0].detail})"
        return f"{outcome} ({found[0].detail})"

    def capabilities(self) -> dict[str, dict[str, Any]]:
        """What to override in ``MODELS`` for each probed model (``load_capabilities`` applies it)."""
        day = self.checked_at.date().isoformat()
        overrides: dict[str, dict[str, Any]] = {}
        for model in self.audio():
            entry: dict[str, Any] = {}
            hears = self.hears_audio(model)
            if hears is not None:
                entry.update(audio_input=hears, audio_evidence="checked")
                heard = [f for f, o in self.audio()[model].items() if o == "heard"]
                entry["status"] = (
                    f"checked by mimo-audio doctor on {day}: hears {', '.join(heard) or 'no format'}"
                )
            gone = self._gone(model)
            if gone is not None:
                entry["retirement"] = gone
            if entry:
                overrides[model] = entry
        for model, kinds in self.efforts().items():
            tried = set(kinds["accepted"]) | set(kinds["refused"])
            if set(REASONING_EFFORTS) <= tried:
                accepted = [e for e in REASONING_EFFORTS if e in kinds["accepted"]]
                overrides.setdefault(model, {})["reasoning_efforts"] = accepted
        for result in self.of("retired"):
            if result.outcome == "served":  # the table says retired, MiMo still answers it
                overrides.setdefault(result.model, {})["retirement"] = None
        return overrides

    def _gone(self, model: str) -> dict[str, Any] | None:
        """A retirement when every audio probe of ``model`` got MiMo's "model not found"."""
        probes = [r for r in self.of("audio") if r.model == model]
        if not probes or any(model_error_note(model, r.status, r.detail) is None for r in probes):
            return None
        return {
            "at": self.checked_at.isoformat(),
            "successor": None,
            "source": f"mimo-audio doctor {self.checked_at.date()}: {probes[0].detail[:120]}",
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at.isoformat(),
            "base_url": self.base_url,
            "library_version": __version__,
            "models": list(self.models),
            "max_cost_usd": self.max_cost_usd,
            "cost_usd": self.cost_usd,
            "unpriced_answers": self.unpriced_answers,
            "unpriced_cost_bound_usd": self.unpriced_cost_bound_usd,
            "requests": self.requests,
            "findings": self.findings(),
            "capabilities": self.capabilities(),
            "probes": [r.to_dict() for r in self.results],
        }

    def cost_text(self) -> str:
        text = f"cost: {money(self.cost_usd)} for {self.requests} request(s) (cap {money(self.max_cost_usd)})"
        if self.unpriced_answers:
            text += (
                f"; plus {self.unpriced_answers} answer(s) from models without a price "
                f"(at most {money(self.unpriced_cost_bound_usd)})"
            )
        return text

    def text(self) -> str:
        """The table ``mimo-audio doctor`` prints."""
        formats = list(AUDIO_FORMATS)
        width = max([len(m) for m in self.audio()] + [5]) + 2
        lines = [f"mimo-audio doctor: {self.base_url} at {self.checked_at:%Y-%m-%d %H:%M} UTC"]
        lines.append("model".ljust(width) + "".join(f.ljust(11) for f in formats) + "reasoning_effort")
        efforts = self.efforts()
        for model, found in self.audio().items():
            cells = "".join(found.get(f, "-").ljust(11) for f in formats)
            kinds = efforts.get(model)
            said = "-"
            if kinds is not None:
                said = f"accepts {', '.join(kinds['accepted']) or 'none'}"
                if kinds["refused"]:
                    said += f"; refuses {', '.join(kinds['refused'])}"
            lines.append(model.ljust(width) + cells + said)
        retired = [
            f"{r.model} {r.outcome}" + (f" (HTTP {r.status})" if r.status else "") for r in self.of("retired")
        ]
        if retired:
            lines.append("retired per the table: " + ", ".join(retired))
        findings = self.findings()
        for key, label in _LABELS.items():
            lines.append(f"{label}: {findings[key]}")
        lines.append(self.cost_text())
        return "\n".join(lines)

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as JSON to ``path`` (a folder gets a dated file name); returns the file."""
        target = Path(path)
        if target.is_dir():
            target = target / default_report_name(self.checked_at)
        target.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return target

    def write_capabilities(self, path: str | os.PathLike[str]) -> Path:
        """Write the overrides as a capabilities file (``MIMO_CAPABILITIES=path`` loads it)."""
        document = capabilities_document(
            self.capabilities(),
            checked_at=self.checked_at,
            written_by=f"mimo-audio doctor (mimo-openai-ext {__version__})",
            base_url=self.base_url,
        )
        target = Path(path)
        target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return target
