"""Today's line-up from the one table: the default, retirements that never surprise, reasoning
effort, what MiMo's own "model not found / retired" answers get, and prices by the answering model.

Every path that names a model goes through ``_models.check_model``: each is called here with
a retired id and must refuse before the emulator sees a request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import encode_silence

import mimo_openai_ext as m
from mimo_openai_ext import (
    DEFAULT_MODEL,
    MODELS,
    Answer,
    InvalidOptionError,
    ModelRetiringWarning,
    RetiredModelError,
    ask,
    ask_async,
    ask_stream,
)
from mimo_openai_ext._cli import main
from mimo_openai_ext._models import model_error_note, successor_of
from mimo_openai_ext.config import Retirement, allow_retired, check_model, current_models, retirement_note

RETIRED = [
    ("mimo-v2.5", "2026-10-21", "mimo-v2.6-flash"),
    ("mimo-v2-omni", "2026-06-30", "mimo-v2.6-flash"),
    ("mimo-v2.5-pro", "2026-10-21", "mimo-v2.6-pro"),
]


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "clip.wav"
    path.write_bytes(encode_silence(1.0))
    return path


@pytest.fixture
def soon(monkeypatch: pytest.MonkeyPatch) -> str:
    """A model that retires in ten days, with the default as its successor."""
    at = datetime.now(timezone.utc) + timedelta(days=10, hours=1)
    spec = dataclasses.replace(
        MODELS[DEFAULT_MODEL], id="mimo-soon", retirement=Retirement(at, DEFAULT_MODEL, "a test notice")
    )
    monkeypatch.setitem(MODELS, "mimo-soon", spec)
    return "mimo-soon"


# -- the table ---------------------------------------------------------------------------------


def test_a_fresh_install_calls_the_current_default(client: openai.OpenAI, mimo_emulator: Any) -> None:
    assert DEFAULT_MODEL == "mimo-v2.6-flash"
    answer = ask(client, encode_silence(1.0), "q")
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.6-flash"]
    assert answer.model == "mimo-v2.6-flash"
    assert answer.usage.cost_usd is not None


def test_each_model_says_how_sure_its_audio_is_and_what_it_costs() -> None:
    flash, pro, ultra = MODELS["mimo-v2.6-flash"], MODELS["mimo-v2.6-pro"], MODELS["mimo-v2.6-pro-ultraspeed"]
    assert (flash.audio_input, flash.audio_evidence, flash.context_tokens, flash.max_completion_tokens) == (
        True,
        "observed",
        1_048_576,
        131_072,
    )
    assert (ultra.audio_input, ultra.audio_evidence, ultra.price) == (True, "untested", None)
    assert flash.price is not None
    assert pro.price is not None
    assert (
        flash.price.input_usd_per_mtok,
        flash.price.cache_hit_usd_per_mtok,
        flash.price.output_usd_per_mtok,
    ) == (
        0.14,
        0.0028,
        0.28,
    )
    assert (
        pro.price.input_usd_per_mtok,
        pro.price.cache_hit_usd_per_mtok,
        pro.price.output_usd_per_mtok,
    ) == (
        0.435,
        0.0036,
        0.87,
    )
    assert flash.price.as_of
    assert flash.price.source
    assert flash.reasoning_efforts == ("none", "low", "medium", "high")
    assert MODELS["mimo-v2.5-asr"].reasoning_efforts == ()
    for model_id, date, successor in RETIRED:
        retirement = MODELS[model_id].retirement
        assert retirement is not None
        assert (retirement.on, retirement.successor) == (date, successor)
    assert not MODELS["mimo-v2.5-pro"].audio_input
    v25 = MODELS["mimo-v2.5"].retirement
    assert v25 is not None
    assert v25.at == datetime(2026, 10, 21, 2, tzinfo=timezone.utc)  # 10:00 Beijing time


def test_current_models_leave_the_retired_out() -> None:
    current = [spec.id for spec in current_models()]
    assert current[0] == DEFAULT_MODEL
    assert {"mimo-v2.5", "mimo-v2-omni", "mimo-v2.5-pro"}.isdisjoint(current)
    assert [spec.id for spec in current_models(audio=True)] == [
        "mimo-v2.6-flash",
        "mimo-v2.6-pro",
        "mimo-v2.6-pro-ultraspeed",
    ]


def test_successors_follow_a_chain_to_a_current_model(monkeypatch: pytest.MonkeyPatch) -> None:
    past = datetime(2026, 1, 1, tzinfo=timezone.utc)
    old = dataclasses.replace(MODELS["mimo-v2.5"], id="old", retirement=Retirement(past, "mimo-v2.5", "t"))
    monkeypatch.setitem(MODELS, "old", old)
    successor = successor_of(old)
    assert successor is not None
    assert successor.id == "mimo-v2.6-flash"  # mimo-v2.5 retired in turn
    assert retirement_note(MODELS["mimo-v2.5"]) == (
        "mimo-v2.5 retired on 2026-10-21 (MiMo's service notice, as quoted by third parties); "
        "use mimo-v2.6-flash, same price"
    )
    assert "use mimo-v2.6-pro, $0.435 in / $0.87 out per 1M tokens" in retirement_note(
        MODELS["mimo-v2.5-pro"]
    )


# -- retired: refused before any request, on every path ---------------------------------------


@pytest.mark.parametrize(("model", "date", "successor"), RETIRED)
def test_ask_with_a_retired_model_fails_before_any_request(
    client: openai.OpenAI, mimo_emulator: Any, model: str, date: str, successor: str
) -> None:
    with pytest.raises(RetiredModelError) as caught:
        ask(client, encode_silence(1.0), "q", model=model)
    error = caught.value
    assert (error.model, error.retired_on, error.successor) == (model, date, successor)
    message = str(error)
    assert message.startswith(f"{model} retired on {date} ")
    assert f"use {successor}" in message
    assert f"allow_retired({model!r})" in message
    assert "--allow-retired" in message
    assert isinstance(error, ValueError)
    assert mimo_emulator.request_log == []


def _paths(wav: Path, client: Any, async_client: Any) -> dict[str, Callable[[str], Any]]:
    w = str(wav)
    return {
        "ask_async": lambda model: asyncio.run(ask_async(async_client, w, "q", model=model)),
        "ask_stream": lambda model: ask_stream(client, w, "q", model=model),
        "audio_chat": lambda model: m.audio_chat(client, w, model=model),
        "ask_batch": lambda model: m.ask_batch(client, [w], "q", model=model),
        "ask_across_chunks": lambda model: m.ask_across_chunks(client, w, "q", model=model),
        "transcribe": lambda model: m.transcribe(client, w, model=model),
        "whisper shim": lambda model: m.transcriptions(client).create(file=wav.read_bytes(), model=model),
        "estimate_request": lambda model: m.estimate_request(
            [m.user_message(m.input_audio_part(w), "q")], model=model
        ),
        "estimate_batch": lambda model: m.estimate_batch([w], "q", model=model),
        "check_audio_limits": lambda model: m.audio.check_audio_limits(m.probe_audio(w), model=model),
    }


@pytest.mark.parametrize("path", list(_paths(Path("x"), None, None)))
def test_every_path_refuses_a_retired_model(wav: Path, mimo_emulator: Any, path: str) -> None:
    with mimo_emulator.client() as client:
        call = _paths(wav, client, mimo_emulator.async_client())[path]
        with pytest.raises(RetiredModelError, match=r"mimo-v2\.5 retired on 2026-10-21"):
            call("mimo-v2.5")
    assert mimo_emulator.request_log == []


def test_allow_retired_sends_that_very_model_and_explains_mimos_answer(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    with allow_retired("mimo-v2.5"), pytest.raises(openai.BadRequestError) as caught:
        ask(client, encode_silence(1.0), "q", model="mimo-v2.5")
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.5"]  # nothing redirected
    message = str(caught.value)
    assert "the model mimo-v2.5 has been retired since 2026-10-21" in message  # MiMo's detail
    assert "mimo-v2.5 retired on 2026-10-21" in message  # and the table's word, with the successor
    assert "use mimo-v2.6-flash, same price; MiMo confirms it (HTTP 400)" in message
    with pytest.raises(RetiredModelError):  # the allowance ended with the block
        ask(client, encode_silence(1.0), "q", model="mimo-v2.5")


def test_a_model_mimo_retired_before_the_table_knew_is_explained(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    gone = Retirement(datetime(2026, 11, 30, tzinfo=timezone.utc), None, "a notice the table missed")
    mimo_emulator.configure(
        models={**MODELS, "mimo-v2.6-pro": dataclasses.replace(MODELS["mimo-v2.6-pro"], retirement=gone)}
    )
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, encode_silence(1.0), "q", model="mimo-v2.6-pro")
    message = str(caught.value)
    assert "MiMo says mimo-v2.6-pro is not available, while MODELS lists it as current" in message
    assert "mimo-audio doctor" in message
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.6-pro"]


def test_model_error_notes_read_mimos_answers() -> None:
    assert model_error_note("mimo-v2.5", 404, None) is not None  # the table knows it retired
    assert model_error_note("mimo-v2.6-flash", 404, "Not Found") is None  # a bare 404: wrong URL?
    assert model_error_note("mimo-v2.6-flash", 400, "temperature must be in [0, 1.5]") is None
    note = model_error_note("mimo-x", 400, "Model mimo-x does not exist")
    assert note is not None
    assert note.startswith("MiMo says mimo-x is not available, while MODELS does not know it")
    assert model_error_note("mimo-x", 500, "model not found") is None
    assert model_error_note(None, 404, "model not found") is None


# -- retiring soon: one warning per use -------------------------------------------------------


def test_a_model_retiring_within_30_days_warns_once_per_use(
    client: openai.OpenAI, mimo_emulator: Any, soon: str, wav: Path
) -> None:
    with pytest.warns(ModelRetiringWarning) as caught:
        ask(client, encode_silence(1.0), "q", model=soon)
    assert len(caught) == 1
    assert caught[0].filename == __file__
    assert str(caught[0].message).startswith(f"{soon} retires on ")
    assert ", in 10 days (a test notice)" in str(caught[0].message)
    assert str(caught[0].message).endswith(f"; use {DEFAULT_MODEL}, same price: move before then")
    with pytest.warns(ModelRetiringWarning) as batch:
        m.ask_batch(client, [str(wav)] * 3, "q", model=soon)
    assert len(batch) == 1
    assert [r.model for r in mimo_emulator.completions()] == [soon] * 4  # it still works


def test_a_retirement_further_out_says_nothing(
    monkeypatch: pytest.MonkeyPatch, client: openai.OpenAI
) -> None:
    later = Retirement(datetime.now(timezone.utc) + timedelta(days=31), DEFAULT_MODEL, "t")
    monkeypatch.setitem(
        MODELS, "mimo-later", dataclasses.replace(MODELS[DEFAULT_MODEL], id="mimo-later", retirement=later)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_model("mimo-later").id == "mimo-later"
        ask(client, encode_silence(1.0), "q", model="mimo-later")


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.usefixtures("no_mimo_env")
@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "--offline", "--sample", "What is said?", "--model", "mimo-v2.5"],
        ["estimate", "--model", "mimo-v2-omni", "FILE"],
        ["batch", "FILE", "-q", "q", "--estimate-only", "--model", "mimo-v2.5-pro"],
        ["transcribe", "--offline", "--sample", "--model", "mimo-v2.5"],
    ],
)
def test_the_cli_refuses_a_retired_model_in_one_line(
    argv: list[str], wav: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(wav) if a == "FILE" else a for a in argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("mimo-audio: error: mimo-v2")
    assert " retired on 2026-" in err
    assert "--allow-retired" in err


@pytest.mark.usefixtures("no_mimo_env")
def test_the_cli_sends_it_anyway_with_allow_retired(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "--offline", "--sample", "What is said?", "--model", "mimo-v2.5", "--allow-retired"])
    err = capsys.readouterr().err
    assert code == 1  # MiMo's (the emulator's) own answer: an API error
    assert err.startswith("mimo-audio: error: HTTP 400 Param Incorrect: the model mimo-v2.5 has been retired")
    assert err.rstrip().endswith("use mimo-v2.6-flash, same price; MiMo confirms it (HTTP 400)")
    with pytest.raises(RetiredModelError):  # the allowance did not outlive the command
        check_model("mimo-v2.5")


@pytest.mark.usefixtures("no_mimo_env")
@pytest.mark.filterwarnings("always::mimo_openai_ext.ModelRetiringWarning")
def test_the_cli_warns_of_a_retirement_in_one_line(soon: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--offline", "--sample", "What is said?", "--model", soon]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "retires on" in line]
    assert len(warned) == 1
    assert warned[0].startswith(f"mimo-audio: warning: {soon} retires on ")


# -- reasoning effort ----------------------------------------------------------------------------


def test_reasoning_effort_reaches_mimo(client: openai.OpenAI) -> None:
    off = ask(client, encode_silence(1.0), "q", reasoning_effort="none")
    assert (off.reasoning, off.usage.reasoning_tokens) == ("", 0)  # MiMo: "none" turns thinking off
    high = ask(client, encode_silence(1.0), "q", reasoning_effort="high")
    assert high.usage.reasoning_tokens > 0
    both = ask(client, encode_silence(1.0), "q", reasoning_effort="none", thinking=False)
    assert both.reasoning == ""


@pytest.mark.parametrize("value", ["minimal", "xhigh", "max", "HIGH", "", 3, True])
def test_reasoning_efforts_mimo_refuses_are_refused_first(
    client: openai.OpenAI, mimo_emulator: Any, value: Any
) -> None:
    with pytest.raises(
        InvalidOptionError, match=r"reasoning_effort=.*'none', 'low', 'medium', 'high'"
    ) as caught:
        ask(client, encode_silence(1.0), "q", reasoning_effort=value)
    assert caught.value.option == "reasoning_effort"
    if value in ("minimal", "xhigh", "max"):
        assert "MiMo answers 400" in str(caught.value)
    assert mimo_emulator.request_log == []


def test_reasoning_effort_on_a_model_that_takes_none(
    monkeypatch: pytest.MonkeyPatch, client: openai.OpenAI
) -> None:
    plain = dataclasses.replace(MODELS[DEFAULT_MODEL], id="mimo-plain", reasoning_efforts=())
    monkeypatch.setitem(MODELS, "mimo-plain", plain)
    with pytest.raises(
        InvalidOptionError, match=r"mimo-plain does not take reasoning_effort.*use thinking=True/False"
    ):
        ask(client, encode_silence(1.0), "q", model="mimo-plain", reasoning_effort="low")
    with pytest.raises(InvalidOptionError, match="thinking=False turns it off"):
        ask(client, encode_silence(1.0), "q", reasoning_effort="high", thinking=False)


def test_reasoning_effort_in_batches_and_across_chunks(client: openai.OpenAI, wav: Path) -> None:
    results = m.ask_batch(client, [str(wav)], "q", reasoning_effort="none")
    assert results[0].answer is not None
    assert results[0].answer.reasoning == ""
    across = m.ask_across_chunks(
        client, encode_silence(4.0), "q", reasoning_effort="none", max_duration_s=2.5, overlap_s=0.5
    )
    assert across.combined is not None
    assert len(across.chunks) > 1
    assert {c.answer.reasoning for c in across.chunks} == {""}
    assert across.combined.reasoning == ""  # the combining call took it too
    assert across.combined.text.startswith('The answer to "q", over the whole recording')  # a text answer


@pytest.mark.usefixtures("no_mimo_env")
def test_cli_reasoning_effort(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--offline", "--sample", "q", "--reasoning-effort", "none", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reasoning"] == ""
    with pytest.raises(SystemExit) as exit_:
        main(["ask", "--offline", "--sample", "q", "--reasoning-effort", "max"])
    assert exit_.value.code == 2
    assert "invalid choice: 'max'" in capsys.readouterr().err


# -- costs follow the model that answered ----------------------------------------------------


def _completion(model: str) -> Any:
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": "0" * 32,
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}
            ],
            "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000, "total_tokens": 2_000_000},
        }
    )


def test_cost_uses_the_model_that_answered(client: openai.OpenAI) -> None:
    estimate = m.estimate_request([m.user_message(m.input_audio_part(encode_silence(1.0)), "q")])
    assert estimate.model == "mimo-v2.6-flash"
    answer = Answer.from_completion(_completion("mimo-v2.6-pro"), estimate=estimate)
    assert (answer.model, answer.cost_usd) == ("mimo-v2.6-pro", 0.435 + 0.87)
    unpriced = Answer.from_completion(_completion("mimo-v2.6-pro-ultraspeed"), estimate=estimate)
    assert unpriced.cost_usd is None


# -- capabilities files ------------------------------------------------------------------------


@pytest.fixture
def restored_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from mimo_openai_ext import _capabilities

    saved = dict(MODELS)
    monkeypatch.setattr(_capabilities, "_applied_env_path", None)
    yield
    MODELS.clear()
    MODELS.update(saved)


def _write(path: Path, models: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"format": "mimo-capabilities/1", "models": models}))
    return path


@pytest.mark.usefixtures("restored_models")
def test_a_capabilities_file_is_applied_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(
        tmp_path / "caps.json",
        {
            "mimo-v2.6-pro-ultraspeed": {
                "audio_input": True,
                "audio_evidence": "checked",
                "reasoning_efforts": ["low"],
            },
            "mimo-v2.5": {"retirement": None},
            "mimo-v3-preview": {"audio_input": False, "audio_evidence": "checked"},
        },
    )
    assert MODELS["mimo-v2.6-pro-ultraspeed"].audio_evidence == "untested"
    monkeypatch.setenv("MIMO_CAPABILITIES", str(path))
    assert MODELS["mimo-v2.6-pro-ultraspeed"].audio_evidence == "untested"  # nothing read until asked
    spec = m.get_model("mimo-v2.6-pro-ultraspeed")  # the first lookup applies it
    assert (spec.audio_evidence, spec.reasoning_efforts) == ("checked", ("low",))
    assert check_model("mimo-v2.5").retirement is None  # the doctor found it still served
    assert MODELS["mimo-v2.6-pro-ultraspeed"].price is None  # fields the file does not name stay
    assert MODELS["mimo-v3-preview"].audio_input is False


@pytest.mark.usefixtures("restored_models")
@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("not json", "is not JSON"),
        ('{"models": {}}', "is not a capabilities file"),
        (
            '{"format": "mimo-capabilities/1", "models": {"x": {"audio_input": "yes"}}}',
            "audio_input must be true or false",
        ),
        ('{"format": "mimo-capabilities/1", "models": {"x": {"colour": 1}}}', r"unknown fields \['colour'\]"),
        (
            '{"format": "mimo-capabilities/1", "models": {"x": {"reasoning_efforts": ["max"]}}}',
            "reasoning_efforts must be",
        ),
        (
            '{"format": "mimo-capabilities/1", "models": {"x": {"retirement": {"at": "2026-01-01"}}}}',
            "time zone",
        ),
    ],
)
def test_a_bad_capabilities_file_is_refused_whole(tmp_path: Path, content: str, complaint: str) -> None:
    path = tmp_path / "caps.json"
    path.write_text(content)
    before = dict(MODELS)
    with pytest.raises(m.CapabilitiesFileError, match=complaint) as caught:
        m.config.load_capabilities(path)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert before == MODELS


def test_capabilities_are_never_read_at_import(tmp_path: Path) -> None:
    import subprocess
    import sys

    broken = tmp_path / "broken.json"
    broken.write_text("{")
    code = (
        "import mimo_openai_ext as m\n"
        "try:\n"
        "    m.get_model(m.DEFAULT_MODEL)\n"
        "except m.CapabilitiesFileError as exc:\n"
        "    print('on lookup:', type(exc).__name__)\n"
    )
    env = {**__import__("os").environ, "MIMO_CAPABILITIES": str(broken)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "on lookup: CapabilitiesFileError"


def test_successors_the_table_does_not_hold_or_that_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    past = datetime(2026, 1, 1, tzinfo=timezone.utc)
    flash = MODELS[DEFAULT_MODEL]
    monkeypatch.setitem(
        MODELS, "a", dataclasses.replace(flash, id="a", retirement=Retirement(past, "b", "t"))
    )
    monkeypatch.setitem(
        MODELS, "b", dataclasses.replace(flash, id="b", retirement=Retirement(past, "a", "t"))
    )
    monkeypatch.setitem(
        MODELS, "c", dataclasses.replace(flash, id="c", retirement=Retirement(past, "mimo-v9", "t"))
    )
    assert successor_of(MODELS["a"]) is None
    assert retirement_note(MODELS["a"]) == "a retired on 2026-01-01 (t)"
    successor = successor_of(MODELS["c"])
    assert successor is not None
    assert successor.id == "mimo-v9"
    assert retirement_note(MODELS["c"]).endswith("; use mimo-v9, price unknown")
