"""collect_sources: files, folders and globs into a batch's sources, once each, in order."""

from __future__ import annotations

from pathlib import Path

import pytest
from _audio import write_silence

from mimo_openai_ext import InvalidAudioSourceError
from mimo_openai_ext._batch.inputs import collect_sources


def test_files_folders_globs_and_urls_in_order_once_each(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in ("b.wav", "a.mp3", "notes.txt", "c.aac"):
        write_silence(folder / name, 0.1)
    extra = write_silence(tmp_path / "extra.flac", 0.1)
    url = "https://example.com/x.wav"
    collected = collect_sources([str(folder), str(tmp_path / "*.flac"), url, str(folder / "b.wav")])
    assert collected.sources == (str(folder / "a.mp3"), str(folder / "b.wav"), str(extra), url)
    assert collected.left_out == ((str(folder), ("c.aac",)),)
    with_convert = collect_sources([str(folder)], convert=True)
    assert str(folder / "c.aac") in with_convert.sources
    assert with_convert.left_out == ()


def test_what_names_nothing_is_our_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidAudioSourceError, match="no such file or folder"):
        collect_sources([str(tmp_path / "missing.wav")])
    with pytest.raises(InvalidAudioSourceError, match="no files match this pattern"):
        collect_sources([str(tmp_path / "*.wav")])
    (tmp_path / "only").mkdir()
    write_silence(tmp_path / "only" / "x.aac", 0.1)
    with pytest.raises(InvalidAudioSourceError, match=r"only 1 \.aac file\(s\); add --convert"):
        collect_sources([str(tmp_path / "only")])


def test_subfolders_are_searched_only_when_recursive(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    (folder / "monday").mkdir(parents=True)
    (folder / ".git").mkdir()
    top = write_silence(folder / "a.wav", 0.1)
    deep = write_silence(folder / "monday" / "b.wav", 0.1)
    write_silence(folder / ".git" / "c.wav", 0.1)
    flat = collect_sources([str(folder)])
    assert flat.sources == (str(top),)
    assert flat.not_searched == ((str(folder), ("monday",)),)  # said, so a caller can tell the user
    deep_too = collect_sources([str(folder)], recursive=True)
    assert deep_too.sources == (str(top), str(deep))
    assert deep_too.not_searched == ()


def test_a_folder_with_audio_only_in_subfolders_points_at_recursive(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    (folder / "monday").mkdir(parents=True)
    deep = write_silence(folder / "monday" / "b.wav", 0.1)
    with pytest.raises(InvalidAudioSourceError, match=r"1 subfolder\(s\) were not searched: add --recursive"):
        collect_sources([str(folder)])
    assert collect_sources([str(folder)], recursive=True).sources == (str(deep),)
