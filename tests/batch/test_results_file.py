"""The results file: one fsynced line per item, torn tails repaired, corrupt lines refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mimo_openai_ext import ResultsFileError
from mimo_openai_ext._batch.results_file import BatchRecord, ResultsFile, resume_state
from mimo_openai_ext.batch import read_results


def _record(i: int, *, source: str | None = None) -> BatchRecord:
    return {
        "index": i,
        "source": source or f"clip{i}.wav",
        "question": "q",
        "model": "mimo-v2.6-flash",
        "answer": f"answer {i} — ünïcode",
        "reasoning": "",
        "finish_reason": "stop",
        "duration_s": 1.5,
        "usage": {"prompt_tokens": 20, "total_tokens": 30, "cost_usd": 1e-6},
        "cost_usd": 1e-6,
        "error": None,
        "elapsed_s": 0.1,
    }


def _write(path: Path, count: int) -> None:
    with ResultsFile(path) as results:
        for i in range(count):
            results.append(_record(i))


def test_each_record_is_one_complete_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, 3)
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    assert raw.count(b"\n") == 3
    assert [json.loads(line) for line in raw.splitlines()] == [_record(i) for i in range(3)]
    assert read_results(path) == [_record(i) for i in range(3)]


def test_resume_cuts_a_torn_last_line_and_forgets_its_item(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, 3)
    whole = (json.dumps(_record(3)) + "\n").encode()
    with open(path, "ab") as f:
        f.write(whole[: len(whole) // 2])  # what a SIGKILL mid-write leaves
    assert len(read_results(path)) == 3  # readers ignore the tail
    with ResultsFile(path, resume=True) as results:
        assert results.repaired_bytes == len(whole) // 2
        assert set(results.done) == {("source", f"clip{i}.wav", "q") for i in range(3)}
        results.append(_record(3))
    lines = path.read_bytes().splitlines()
    assert [json.loads(line)["index"] for line in lines] == [0, 1, 2, 3]


def test_a_whole_record_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, 1)
    with open(path, "ab") as f:
        f.write(json.dumps(_record(1)).encode())
    with ResultsFile(path, resume=True) as results:
        assert results.repaired_bytes == 0
        assert len(results.done) == 2
        results.append(_record(2))
    assert [r["index"] for r in read_results(path)] == [0, 1, 2]


def test_a_corrupt_line_in_the_middle_is_refused_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, 2)
    with open(path, "ab") as f:
        f.write(b"{not json\n")
        f.write((json.dumps(_record(3)) + "\n").encode())
    with pytest.raises(ResultsFileError, match=r"line 3 is not valid JSON.*Remove that line") as info:
        ResultsFile(path, resume=True)
    assert info.value.path == str(path)
    with pytest.raises(ResultsFileError, match="line 3"):
        read_results(path)


def test_a_json_line_that_is_not_a_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("[1, 2, 3]\n")
    with pytest.raises(ResultsFileError, match=r"line 1 is not a batch record.*found list"):
        ResultsFile(path, resume=True)


def test_an_existing_file_needs_resume_or_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, 2)
    with pytest.raises(ResultsFileError, match="already exists"):
        ResultsFile(path)
    with ResultsFile(path, overwrite=True) as results:
        assert results.done == {}
    assert path.read_bytes() == b""
    with ResultsFile(path):  # an empty file is as good as none
        pass


def test_two_writers_cannot_share_a_file(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsFile(path), pytest.raises(ResultsFileError, match="another running batch"):
        ResultsFile(path, resume=True)
    with ResultsFile(path, resume=True):  # the lock went with the first writer
        pass


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="does not exist"):
        ResultsFile(tmp_path / "nope" / "r.jsonl")


def test_appending_after_close_is_refused(tmp_path: Path) -> None:
    results = ResultsFile(tmp_path / "r.jsonl")
    results.close()
    with pytest.raises(ValueError, match="closed"):
        results.append(_record(0))


def test_retry_failed_rewrites_the_file_without_failed_records(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    failed = {
        **_record(1),
        "answer": None,
        "error": {"type": "RateLimitError", "message": "429", "status": 429},
    }
    with ResultsFile(path) as results:
        results.append(_record(0))
        results.append(failed)  # type: ignore[arg-type]
        results.append(_record(2))
    with ResultsFile(path, retry_failed=True) as results:
        assert results.dropped_failed == 1
        assert set(results.done) == {("source", "clip0.wav", "q"), ("source", "clip2.wav", "q")}
        assert [r["index"] for r in read_results(path)] == [0, 2]
        with pytest.raises(ResultsFileError, match="another running batch"):
            ResultsFile(path, resume=True)  # the rewritten file is locked too
        results.append(_record(1))
    assert [r["index"] for r in read_results(path)] == [0, 2, 1]
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_folder_is_refused_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="is a folder") as caught:
        ResultsFile(tmp_path, resume=True)
    assert "already exists" not in str(caught.value)


def test_costs_are_rounded_in_the_file_only(tmp_path: Path) -> None:
    noisy = 2.6320000000000002e-05
    record = {
        "index": 0,
        "source": "a.wav",
        "question": "q",
        "cost_usd": noisy,
        "usage": {"cost_usd": noisy, "total_tokens": 3, "audio_seconds": 1.0000000000000002},
        "error": None,
    }
    with ResultsFile(tmp_path / "r.jsonl") as results:
        results.append(record)  # type: ignore[arg-type]
    text = (tmp_path / "r.jsonl").read_text()
    assert '"cost_usd": 2.632e-05' in text
    assert "2.6320000000000002e-05" not in text
    assert "1.0000000000000002" in text  # only costs are rounded
    assert record["cost_usd"] == noisy  # the caller's record keeps the exact value
    assert read_results(tmp_path / "r.jsonl")[0]["usage"]["cost_usd"] == 2.632e-05


def test_read_results_of_a_missing_file_or_a_folder_is_a_results_file_error(tmp_path: Path) -> None:
    from mimo_openai_ext import MimoAudioError

    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ResultsFileError, match=r"nope\.jsonl: no such results file") as info:
        read_results(missing)
    assert isinstance(info.value, MimoAudioError)
    assert info.value.path == str(missing)
    assert str(tmp_path) in str(info.value)  # where it looked
    with pytest.raises(ResultsFileError, match="is a folder, not a results file"):
        read_results(tmp_path)


def test_resume_state_says_what_a_resumed_run_would_skip_and_ask(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    failed = {**_record(1), "answer": None, "error": {"type": "APIError", "message": "boom", "status": 500}}
    other = {**_record(5), "question": "another question"}
    with ResultsFile(path) as results:
        for record in (_record(0), failed, _record(2), other):
            results.append(record)  # type: ignore[arg-type]
    sources = [f"clip{i}.wav" for i in range(5)]
    state = resume_state(path, sources, "q")
    assert state.pending == (3, 4)
    assert (state.done, state.failed_before, state.other_questions) == (3, 1, 1)
    retry = resume_state(path, sources, "q", retry_failed=True)
    assert retry.pending == (1, 3, 4)
    assert (retry.done, retry.failed_before) == (2, 0)
    assert path.read_bytes().count(b"\n") == 4  # read only: nothing was rewritten
    assert resume_state(tmp_path / "none.jsonl", sources, "q").pending == (0, 1, 2, 3, 4)
