"""``run_doctor`` end to end against the emulator: every probe reported, and an emulator that
behaves differently (the way a live MiMo might) changes the report accordingly."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from mimo_openai_ext import DEFAULT_LIMITS, DEFAULT_MODEL, MODELS
from mimo_openai_ext.config import load_capabilities
from mimo_openai_ext.doctor import PROBE_NAMES, DoctorReport, run_doctor

pytestmark = pytest.mark.sdk_retries(0)

ONE = [DEFAULT_MODEL]


@pytest.fixture(scope="module")
def full(mimo_emulator_module: Any) -> DoctorReport:
    """One default run (today's audio models + the retired ones), with the rate-limit probe."""
    mimo_emulator_module.configure(rpm=30)
    with mimo_emulator_module.client(max_retries=0) as client:
        return run_doctor(client, include_rate_limit=True)


@pytest.fixture(scope="module")
def mimo_emulator_module() -> Iterator[Any]:
    from mimo_openai_ext.emulator import run_emulator

    with run_emulator() as emu:
        yield emu


def test_every_probe_is_reported(full: DoctorReport) -> None:
    assert {r.probe for r in full.results} == set(PROBE_NAMES) - {"base64_limit"}  # only with include_size
    audio = full.audio()
    assert list(audio) == ["mimo-v2.6-flash", "mimo-v2.6-pro", "mimo-v2.6-pro-ultraspeed"]
    for formats in audio.values():
        assert formats == dict.fromkeys(["wav", "mp3", "flac", "m4a", "ogg"], "heard")
    heard = [r for r in full.of("audio") if r.outcome == "heard"]
    assert all(r.audio_tokens == 7 for r in heard)  # a 1 s tone: ceil(1.0 * 6.25); MP3 padding aside
    findings = full.findings()
    assert findings["format_key"] == "ignored (still heard)"
    assert findings["raw_base64"].startswith("ignored (audio_tokens 0")
    assert findings["max_tokens"].startswith("ignored (")
    assert findings["retry_after"].startswith("sent (Retry-After: ")
    assert findings["base64_limit"].startswith("not checked: add --include-size")
    for kinds in findings["reasoning_effort"].values():
        assert (kinds["accepted"], kinds["refused"]) == (
            ["none", "low", "medium", "high"],
            ["minimal", "xhigh", "max"],
        )
    assert findings["retired"] == dict.fromkeys(
        ["mimo-v2.5", "mimo-v2.5-pro", "mimo-v2-omni", "mimo-v2-pro", "mimo-v2-flash"], "retired"
    )


def test_the_report_says_what_it_cost_and_prints_a_table(full: DoctorReport) -> None:
    assert 0 < full.cost_usd <= full.max_cost_usd
    # ultraspeed has no price: its 5 audio and 4 accepted effort answers (refusals cost nothing)
    assert full.unpriced_answers == 9
    assert 0 < full.unpriced_cost_bound_usd <= full.max_cost_usd - full.cost_usd
    assert full.requests >= len(full.results)
    text = full.text()
    assert text.splitlines()[1].split() == ["model", "wav", "mp3", "flac", "m4a", "ogg", "reasoning_effort"]
    assert "mimo-v2.6-flash" in text
    assert "cost: $" in text
    data = json.loads(json.dumps(full.to_dict()))
    assert data["findings"]["format_key"] == "ignored (still heard)"
    assert len(data["probes"]) == len(full.results)
    assert data["capabilities"]["mimo-v2.6-flash"]["audio_evidence"] == "checked"


def test_its_capabilities_file_is_what_the_table_loads(full: DoctorReport, tmp_path: Path) -> None:
    path = full.write_capabilities(tmp_path / "caps.json")
    saved = dict(MODELS)
    try:
        changed = load_capabilities(path)
        assert set(changed) == {"mimo-v2.6-flash", "mimo-v2.6-pro", "mimo-v2.6-pro-ultraspeed"}
        ultra = MODELS["mimo-v2.6-pro-ultraspeed"]
        assert (ultra.audio_input, ultra.audio_evidence) == (True, "checked")  # was "untested"
        assert ultra.reasoning_efforts == ("none", "low", "medium", "high")
        assert ultra.status.startswith("checked by mimo-audio doctor on ")
    finally:
        MODELS.clear()
        MODELS.update(saved)


def _run(mimo_emulator: Any, **options: Any) -> DoctorReport:
    with mimo_emulator.client(max_retries=0) as client:
        return run_doctor(client, models=ONE, **options)


def test_a_format_key_refused_is_reported(mimo_emulator: Any) -> None:
    mimo_emulator.configure(format_key="refuse")
    report = _run(mimo_emulator)
    (result,) = report.of("format_key")
    assert (result.outcome, result.status) == ("refused", 400)
    assert "input_audio.format is not a field MiMo takes" in result.detail
    assert report.findings()["format_key"].startswith("refused (")


def test_raw_base64_heard_max_tokens_honoured_and_no_retry_after(mimo_emulator: Any) -> None:
    mimo_emulator.configure(raw_base64="hear", honour_max_tokens=True, rpm=16, retry_after_s=None)
    report = _run(mimo_emulator, include_rate_limit=True)
    findings = report.findings()
    assert findings["raw_base64"] == "heard"
    assert findings["max_tokens"].startswith("honoured (")
    assert findings["retry_after"] == "not sent (a 429 without Retry-After)"


def test_a_retry_after_met_in_an_ordinary_run_is_reported(mimo_emulator: Any) -> None:
    plain = _run(mimo_emulator)
    assert plain.findings()["retry_after"] == "not seen in this run (add --include-rate-limit to provoke one)"
    sent = mimo_emulator.completions()
    mimo_emulator.reset()
    mimo_emulator.fail_next("429; retry-after=7")
    report = _run(mimo_emulator)  # no flood: the one 429 came by itself
    assert report.findings()["retry_after"] == "sent (Retry-After: 7, on a 429 seen in this run)"
    assert len(mimo_emulator.completions()) == len(sent)  # nothing was sent to provoke it


@pytest.mark.slow
def test_the_size_probe_runs_before_the_rate_limit_flood(mimo_emulator: Any) -> None:
    mimo_emulator.configure(rpm=20)
    report = _run(mimo_emulator, include_size=True, include_rate_limit=True, max_cost_usd=0.1)
    findings = report.findings()
    assert findings["base64_limit"].startswith("51,200,000 characters refused: the limit is 50,000,000")
    assert findings["retry_after"].startswith("sent (Retry-After: ")


def test_a_model_that_takes_fewer_efforts_or_no_audio(mimo_emulator: Any, tmp_path: Path) -> None:
    flash = MODELS[DEFAULT_MODEL]
    mimo_emulator.configure(
        models={
            DEFAULT_MODEL: dataclasses.replace(flash, audio_input=False, reasoning_efforts=("low", "high"))
        }
    )
    report = _run(mimo_emulator)
    assert set(report.audio()[DEFAULT_MODEL].values()) == {"refused"}  # 404: the model takes no audio
    assert report.hears_audio(DEFAULT_MODEL) is False
    kinds = report.efforts()[DEFAULT_MODEL]
    assert kinds["accepted"] == ["low", "high"]
    assert report.capabilities()[DEFAULT_MODEL] == {
        "audio_input": False,
        "audio_evidence": "checked",
        "status": f"checked by mimo-audio doctor on {report.checked_at.date()}: hears no format",
        "reasoning_efforts": ["low", "high"],
    }


def test_a_retired_model_still_served_clears_its_retirement(mimo_emulator: Any) -> None:
    served = dataclasses.replace(MODELS["mimo-v2.5"], retirement=None)
    mimo_emulator.configure(models={**MODELS, "mimo-v2.5": served})
    with mimo_emulator.client(max_retries=0) as client:
        report = run_doctor(client, models=["mimo-v2.5"])
    assert report.findings()["retired"] == {"mimo-v2.5": "served"}
    assert report.capabilities() == {"mimo-v2.5": {"retirement": None}}


def test_a_model_mimo_no_longer_knows_is_marked_retired(mimo_emulator: Any) -> None:
    gone = dataclasses.replace(MODELS["mimo-v2.6-pro"], retirement=MODELS["mimo-v2.5"].retirement)
    mimo_emulator.configure(models={**MODELS, "mimo-v2.6-pro": gone})
    with mimo_emulator.client(max_retries=0) as client:
        report = run_doctor(client, models=["mimo-v2.6-pro"])
    retirement = report.capabilities()["mimo-v2.6-pro"]["retirement"]
    assert retirement["at"] == report.checked_at.isoformat()
    assert "has been retired" in retirement["source"]


def test_the_spending_cap_stops_requests(mimo_emulator: Any) -> None:
    report = _run(mimo_emulator, max_cost_usd=0.0)
    assert {r.outcome for r in report.results} == {"skipped"}
    assert all("past the cap" in r.detail for r in report.results)
    assert mimo_emulator.request_log == []
    assert (report.cost_usd, report.requests) == (0.0, 0)


def test_every_probe_has_a_timeout(mimo_emulator: Any) -> None:
    mimo_emulator.configure(latency_ms=400)  # answers come late; refusals (400) come at once
    report = _run(mimo_emulator, timeout_s=0.1)
    late = [r for r in report.results if r.outcome != "refused"]
    assert len(late) == 5 + 4 + 3  # the formats, the efforts MiMo takes, the three single probes
    assert {(r.outcome, r.status, r.detail) for r in late} == {("error", None, "no answer within 0.1 s")}
    deadline = time.monotonic() + 5  # the late answers finish on the server: keep them out of the next test
    while len(mimo_emulator.completions()) < report.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mimo_emulator.completions()) == report.requests


def test_an_unreachable_server_is_said_once_and_the_rest_skipped() -> None:
    with openai.OpenAI(api_key="sk-x", base_url="http://127.0.0.1:9/v1", max_retries=0) as client:
        report = run_doctor(client, models=ONE)
    outcomes = [r.outcome for r in report.results]
    assert outcomes[0] == "error"
    assert report.results[0].detail.startswith("could not connect")
    assert "skipped" in outcomes


def test_the_key_never_shows(mimo_emulator: Any) -> None:
    secret = "sk-doctor-secret-123456789"
    with openai.OpenAI(api_key=secret, base_url=mimo_emulator.base_url, max_retries=0) as client:
        report = run_doctor(client, models=ONE)  # the emulator answers 401 and echoes "sk-doc..."
    assert {r.status for r in report.results} == {401}
    shown = json.dumps(report.to_dict()) + report.text()
    assert "sk-doc" not in shown
    assert secret not in shown


@pytest.mark.slow
def test_the_base64_limit_probe_tells_the_two_limits_apart(mimo_emulator: Any) -> None:
    refused = _run(mimo_emulator, include_size=True, max_cost_usd=0.1)
    assert refused.findings()["base64_limit"].startswith(
        "51,200,000 characters refused: the limit is 50,000,000"
    )
    mimo_emulator.configure(limits=dataclasses.replace(DEFAULT_LIMITS, max_data_uri_chars=52_428_800 + 100))
    accepted = _run(mimo_emulator, include_size=True, max_cost_usd=0.1)
    (result,) = accepted.of("base64_limit")
    assert result.audio_tokens == 15_000  # 2,400 s of 8 kHz silence
    assert accepted.findings()["base64_limit"].endswith("the limit is 50 MiB (52,428,800)")


def test_it_needs_a_sync_client(mimo_emulator: Any) -> None:
    from mimo_openai_ext import InvalidClientError

    with pytest.raises(InvalidClientError, match="there is no async twin"):
        run_doctor(mimo_emulator.async_client())
    with pytest.raises(InvalidClientError, match=r"needs a sync openai\.OpenAI client"):
        run_doctor("https://api.xiaomimimo.com/v1")  # type: ignore[arg-type]
    assert mimo_emulator.request_log == []
