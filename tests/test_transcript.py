"""Transcript: SRT and WebVTT that real parsers read back, Whisper-named JSON, seams, display.

Parsers: ``srt`` and ``webvtt-py`` (the dev extra), and FFmpeg's own subtitle demuxers
through PyAV (``av.open("x.srt")``), what ``ffprobe`` reads a file as subtitles with.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

import av
import pytest
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from mimo_openai_ext import Segment, Transcript, UsageReport
from mimo_openai_ext._transcript import join_texts, merge_seam

_USAGE = UsageReport.from_usage(None, model="mimo-v2.5-asr")


def _transcript(*segments: Segment, duration_s: float = 4000.0) -> Transcript:
    return Transcript(
        text=join_texts([s.text for s in segments]),
        language="en",
        model="mimo-v2.5-asr",
        source_name="talk.m4a",
        duration_s=duration_s,
        usage=_USAGE,
        segments=segments,
        vad="silero",
    )


TRICKY = _transcript(
    Segment(0.8, 4.7041, "Good morning everyone, let's start with the quarterly numbers of the year."),
    Segment(5.6, 10.3, "A <b>tag</b> & an arrow --> in text\n\nwith a blank line."),
    Segment(11.0, 11.5, ""),  # nothing heard: no cue
    Segment(12.0, 14.0, "", error="APIStatusError: HTTP 503 Service Unavailable"),
    Segment(
        3723.0044, 3725.9995, "After an hour: 会议在三楼的会议室举行一直到下午四点钟为止请大家准时参加。"
    ),
)


def _ffmpeg_cues(path: Path) -> list[tuple[int, int, str]]:
    """(start ms, duration ms, text) of each cue, as FFmpeg's demuxer reads the file."""
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[0]
        return [
            (int(packet.pts), int(packet.duration), bytes(packet).decode("utf-8"))
            for packet in container.demux(stream)
            if packet.size
        ]


def test_srt_round_trips_through_the_srt_library_and_ffmpeg(tmp_path: Path) -> None:
    text = TRICKY.to_srt()
    cues = list(srt.parse(text))
    assert [c.index for c in cues] == [1, 2, 3, 4, 5]  # the long CJK segment: two cues
    assert cues[0].start == timedelta(milliseconds=800)
    assert cues[0].end == timedelta(milliseconds=4704)  # 4.7041 s: to the millisecond
    assert cues[3].start == timedelta(hours=1, minutes=2, seconds=3, milliseconds=4)
    assert cues[3].end == cues[4].start  # the segment's time shared out by characters
    assert cues[4].end == timedelta(hours=1, minutes=2, seconds=6)  # 5.9995 rounds up
    assert all(len(c.content.splitlines()) <= 2 for c in cues)  # at most two lines on screen
    assert cues[0].content == "Good morning everyone, let's start with\nthe quarterly numbers of the year."
    assert all(len(line) <= 42 for c in cues for line in c.content.splitlines())
    assert "-->" not in cues[1].content  # the arrow would end the cue's text
    assert "\n\n" not in cues[1].content
    assert cues[2].content == "[not transcribed: HTTP 503]"
    path = tmp_path / "talk.srt"
    path.write_text(text, encoding="utf-8")
    demuxed = _ffmpeg_cues(path)
    assert [(start, duration) for start, duration, _ in demuxed] == [
        (800, 3904), (5600, 4700), (12000, 2000), (3723004, 1393), (3724397, 1603),
    ]  # fmt: skip
    assert demuxed[3][2].replace("\n", " ").startswith("After an hour:")
    assert (demuxed[3][2] + demuxed[4][2]).replace("\n", "").endswith("请大家准时参加。")
    assert all(len(line) <= 21 for line in demuxed[3][2].splitlines())  # CJK: two columns a character
    assert len(demuxed[4][2].splitlines()) == 2  # lines of even length: no cue of a word or two


def test_vtt_round_trips_through_webvtt_py_and_ffmpeg(tmp_path: Path) -> None:
    text = TRICKY.to_vtt()
    assert text.startswith("WEBVTT\n\n")
    path = tmp_path / "talk.vtt"
    path.write_text(text, encoding="utf-8")
    captions = webvtt.read(str(path))
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.800", "00:00:04.704"),
        ("00:00:05.600", "00:00:10.300"),
        ("00:00:12.000", "00:00:14.000"),
        ("01:02:03.004", "01:02:04.397"),
        ("01:02:04.397", "01:02:06.000"),
    ]
    assert captions[1].text == "A &lt;b&gt;tag&lt;/b&gt; &amp; an arrow -&gt; in text with a\nblank line."
    assert "<b>" not in text  # WebVTT reads tags in cue text: the model's text is escaped
    demuxed = _ffmpeg_cues(path)
    assert [(start, duration) for start, duration, _ in demuxed] == [
        (800, 3904), (5600, 4700), (12000, 2000), (3723004, 1393), (3724397, 1603),
    ]  # fmt: skip


def test_a_long_segment_becomes_several_cues_of_at_most_two_lines() -> None:
    words = " ".join(f"word{i}" for i in range(40))  # about 280 characters: seven lines of 42
    long = _transcript(Segment(10.0, 24.0, words))
    cues = list(srt.parse(long.to_srt()))
    assert len(cues) == 4
    assert all(len(c.content.splitlines()) == 2 for c in cues)  # even: the last cue is no straggler
    assert " ".join(c.content.replace("\n", " ") for c in cues) == words  # nothing lost or doubled
    assert cues[0].start == timedelta(seconds=10)
    assert cues[-1].end == timedelta(seconds=24)
    assert all(a.end == b.start for a, b in itertools.pairwise(cues))  # one after another, no gap
    assert len(long.to_vtt().split("\n\n")) == 1 + 4 + 1  # the header, four cues, the end


def test_an_empty_transcript_is_still_a_valid_file(tmp_path: Path) -> None:
    empty = _transcript()
    assert empty.to_srt() == ""
    assert list(srt.parse(empty.to_srt())) == []
    path = tmp_path / "empty.vtt"
    path.write_text(empty.to_vtt(), encoding="utf-8")
    assert list(webvtt.read(str(path))) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 20_000.0),
            st.floats(0.001, 30.0),
            st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80),
        ),
        max_size=8,
    )
)
def test_any_text_and_times_give_files_the_parsers_read_back(items: list[tuple[float, float, str]]) -> None:
    segments = tuple(Segment(start, start + length, text) for start, length, text in sorted(items))
    transcript = _transcript(*segments)
    cues = list(srt.parse(transcript.to_srt()))
    shown = [s for s in segments if " ".join(s.text.replace("-->", "->").split())]
    assert len(cues) == len(shown)
    for cue, segment in zip(cues, shown, strict=True):
        assert abs(cue.start.total_seconds() - segment.start_s) <= 0.0005 + 1e-9
        assert abs(cue.end.total_seconds() - segment.end_s) <= 0.0005 + 1e-9
        assert cue.content.split() == " ".join(segment.text.replace("-->", "->").split()).split()


def test_to_dict_uses_whispers_names_and_keeps_errors() -> None:
    data = json.loads(json.dumps(TRICKY.to_dict()))
    assert data["language"] == "en"
    assert data["duration"] == 4000.0
    assert data["task"] == "transcribe"
    assert data["complete"] is False
    first = data["segments"][0]
    assert first == {"id": 0, "start": 0.8, "end": 4.704, "text": TRICKY.segments[0].text}
    assert data["segments"][3]["error"].startswith("APIStatusError")
    assert data["model"] == "mimo-v2.5-asr"
    assert "usage" in data


def test_failures_and_repr() -> None:
    assert TRICKY.failures == (TRICKY.segments[3],)
    assert not TRICKY.complete
    assert "1 failed" in repr(TRICKY)
    assert "failed: APIStatusError" in repr(TRICKY.segments[3])


# -- seams ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            "the quick brown fox jumps",
            "fox jumps over the dog",
            ("the quick brown fox jumps", "over the dog"),
        ),
        ("the quick brown fox ju", "fox jumps over", ("the quick brown fox", "jumps over")),  # a cut word
        ("and then we", "we went home", ("and then we", "went home")),  # one word, at both edges
        ("Hello, World.", "world. How are you?", ("Hello, World.", "How are you?")),  # case, punctuation
        ("no overlap here", "something else", ("no overlap here", "something else")),
        ("the end of it", "it was the best", ("the end of it", "was the best")),
        ("we saw it yes", "so it goes", ("we saw it yes", "so it goes")),  # a short word off the edges
        ("会议在三楼", "三楼的会议室", ("会议在三楼", "的会议室")),
        ("", "anything", ("", "anything")),
    ],
)
def test_merge_seam(before: str, after: str, expected: tuple[str, str]) -> None:
    assert merge_seam(before, after) == expected


def test_a_repeated_phrase_far_from_the_seam_is_not_taken_for_it() -> None:
    before = "we said yes we said yes and then we left"
    after = "we left and we said yes again"
    assert merge_seam(before, after) == (before, "and we said yes again")


def test_join_texts_spaces_words_but_not_cjk() -> None:
    assert join_texts(["Hello.", "  World ", "", "会议", "开始。", "Then"]) == "Hello. World会议开始。Then"


# -- display -------------------------------------------------------------------------------


def test_plot_reuses_the_timeline_with_a_lane_of_segments(tmp_path: Path) -> None:
    plot = TRICKY.plot()
    assert "segments" in plot.svg
    assert "failed" in plot.svg  # the failed piece is marked on its lane
    assert plot.title.startswith("talk.m4a · 5 segments")


def test_plot_draws_under_the_waveform_when_given_the_audio(tmp_path: Path) -> None:
    from _audio import encode_tone

    transcript = _transcript(Segment(0.1, 0.5, "Hi there"), duration_s=1.0)
    plot = transcript.plot(encode_tone(1.0))
    assert "Hi there" in plot.svg


def test_html_shows_text_segments_and_usage() -> None:
    html = TRICKY._repr_html_()
    assert "Transcript of talk.m4a" in html
    assert "5 segments, 1 failed" in html
    assert "&lt;b&gt;tag" in html  # escaped
    assert "1:02:03" in html
