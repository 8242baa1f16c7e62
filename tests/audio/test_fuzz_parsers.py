"""Fuzzing the byte parsers: mutants of every accepted and refused format.

Each mutant (``tests/_mutate.py``: byte flips, truncations, junk, boxes/chunks/pages/frames
removed, duplicated or swapped, size fields made huge) goes through ``sniff_audio`` and
``probe_bytes``, which may only raise :class:`MimoAudioError` subclasses, and through the
lower parsers (MP4 boxes, MPEG frames, WAV chunks, signatures), which may not raise at all.
No call may take 2 s, nor allocate more than 32 MB of Python memory, nor print an
exception from a C callback; the process's peak memory may not grow by 100 MB.

The short run (a few seconds) is part of the default test command. The long run is
marked ``fuzz`` and runs only when asked: ``pytest -m fuzz -s`` (``MIMO_FUZZ_MUTANTS``
sets its size; it prints how many mutants it ran).
"""

from __future__ import annotations

import functools
import io
import os
import random
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _audio import encode_tone, tone
from _formats import REFUSED, headerless_pcm, id3, wav
from _mp4 import asc, audio_entry, box, esds, fragment, movie, trak, trex
from _mutate import mutate

from mimo_openai_ext import MimoAudioError
from mimo_openai_ext._audio import aac_config, mp4, mpeg, signatures
from mimo_openai_ext._audio import wav as wav_chunks
from mimo_openai_ext.audio import probe_bytes, sniff_audio

FIXTURES = Path(__file__).parent.parent / "fixtures"
MAX_CALL_S = 2.0
MAX_CALL_BYTES = 32_000_000
MAX_RSS_GROWTH_KB = 100_000


def _generated(fmt: str, subtype: str | None = None, rate: int = 8000, seconds: float = 0.3) -> bytes:
    return encode_tone(seconds, format=fmt, subtype=subtype, sample_rate=rate)


def _soundfile(fmt: str, subtype: str, endian: str = "FILE") -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, tone(0.2, 8000), 8000, format=fmt, subtype=subtype, endian=endian)
    return buffer.getvalue()


def _he_aac() -> bytes:
    entry = audio_entry(
        b"mp4a", esds(0x40, asc(5, 22050, 2, sbr_rate_hz=44100, explicit=True)), rate_hz=22050
    )
    return movie(trak(b"soun", entry, edits=[(1000, 2048)]), tail=box(b"mdat", payload=bytes(256)))


def _fragmented_3gp() -> bytes:
    entry = audio_entry(b"mp4a", esds(0x40, asc(2, 8000, 1)), channels=1, rate_hz=8000)
    track = trak(b"soun", entry, timescale=8000, duration=0, edits=[(500, 0)])
    tail = fragment(1, [1024] * 4) + fragment(1, [1024] * 4, sequence=2)
    return movie(track, brand=b"3gp6", movie_duration=0, mvex=trex(1, 1024), tail=tail)


@functools.lru_cache(maxsize=1)
def seeds() -> dict[str, bytes]:
    """Valid files of each accepted format and each refused one, a few KB each."""
    mp3 = _generated("MP3", rate=22050, seconds=0.5)
    found: dict[str, bytes] = {
        "wav-pcm16": _generated("WAV"),
        "wav-float": _generated("WAV", "FLOAT"),
        "wav-ima-adpcm": _generated("WAV", "IMA_ADPCM"),
        "wav-gsm": _generated("WAV", "GSM610"),
        "wavex": _generated("WAVEX"),
        "rf64": _generated("RF64"),
        "flac": _generated("FLAC"),
        "ogg-vorbis": _generated("OGG", rate=16000),
        "ogg-opus": _generated("OGG", "OPUS", rate=16000),
        "mp3": mp3,
        "mp3-two-id3": id3(100) + id3(300) + mp3,
        "mp3-in-wav": wav(tag=0x55, bits=0, rate=22050, payload=mp3),
        "m4a-he-aac": _he_aac(),
        "3gp-fragmented": _fragmented_3gp(),
        "raw-pcm": headerless_pcm("<i2", seconds=0.2),
        "aiff": _generated("AIFF"),
        "caf": _generated("CAF"),
        "w64": _generated("W64"),
        "au": _soundfile("AU", "PCM_16"),
        "8svx": _soundfile("SVX", "PCM_S8"),
        "voc": _soundfile("VOC", "PCM_16"),
        "nist": _soundfile("NIST", "PCM_16"),
        "ircam": _soundfile("IRCAM", "PCM_16"),
        "rifx": _soundfile("WAV", "FLOAT", endian="BIG"),
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb" + bytes(600),
        "text": b"Transcript: this is not audio, it is text.\n" * 30,
        "html": b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n" * 20,
    }
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix != ".md" and path.stat().st_size < 40_000:
            found[f"fixture-{path.name}"] = path.read_bytes()
    for name, (data, _, _) in REFUSED.items():
        found[f"refused-{name}"] = data
    return found


@contextmanager
def _no_unraisable() -> Iterator[list[str]]:
    """Collect exceptions raised where nothing can catch them (C callbacks, __del__)."""
    seen: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: seen.append(
        f"{unraisable.exc_type.__name__}: {unraisable.exc_value}"
    )
    try:
        yield seen
    finally:
        sys.unraisablehook = previous


def _lower_parsers(data: bytes) -> None:
    """The parsers under sniff/probe: they answer for any bytes and raise nothing."""
    if mp4.is_iso_bmff(data):
        mp4.summarize_mp4(data)
    start = mpeg.skip_leading_tags(data)
    offset = mpeg.find_frame_chain(data, start, search=4096)
    if offset is not None:
        header = mpeg.parse_frame(data, offset)
        if header is not None:
            mpeg.xing_frames(data, offset, header)
        mpeg.count_frames(data, offset)
    mpeg.is_adts(data, start)
    mpeg.lone_frame(data, start)
    if data[:4] in (b"RIFF", b"RIFX", b"RF64"):
        wav_chunks.read_wav_header(data)
        wav_chunks.wav_fact_frames(data)
        wav_chunks.wav_seconds_from_size(data)
    head = data[:4096]
    aac_config.read_esds(head)
    signatures.refused_signature(head)
    signatures.other_kind(head, is_accepted_mime=lambda mime: mime.startswith("audio/"))
    signatures.headerless_pcm(head)


def _check(data: bytes, *, traced: bool) -> tuple[float, int]:
    """Run every parser on ``data``: (slowest call in s, largest Python allocation peak in bytes).

    ``traced``: tracemalloc follows the calls (ten times slower, so only on a sample).
    """
    slowest, peak = 0.0, 0
    calls: list[Callable[[], object]] = [
        lambda: sniff_audio(data, source_name="fuzz"),
        lambda: probe_bytes(data, source_name="fuzz"),
        lambda: _lower_parsers(data),
    ]
    if traced:
        tracemalloc.start()
    for index, call in enumerate(calls):
        if traced:
            tracemalloc.reset_peak()
        started = time.perf_counter()
        try:
            call()
        except MimoAudioError as exc:
            message = str(exc)
            if index == 2 or not message.startswith("fuzz: "):
                raise AssertionError(f"call {index} raised {exc!r}") from exc
        slowest = max(slowest, time.perf_counter() - started)
        if traced:
            peak = max(peak, tracemalloc.get_traced_memory()[1])
    if traced:
        tracemalloc.stop()
    return slowest, peak


def _mutants(count: int, seed: int, *, every: int = 1) -> Iterator[tuple[str, bytes]]:
    """(where, mutant) for mutant 0, every, 2 * every, ... below ``count``: the same bytes each time."""
    files = seeds()
    names = sorted(files)
    for index in range(0, count, every):
        name = names[index % len(names)]
        mutant, steps = mutate(files[name], random.Random(f"{seed}-{index}"))
        yield f"seed {seed}, mutant {index} of {name} ({'; '.join(steps)})", mutant


def run_fuzz(mutants: int, *, seed: int, trace_every: int = 10) -> dict[str, object]:
    """``mutants`` mutants spread over every seed file; fails on the first broken rule.

    All of them run first, timed, while the process's peak RSS (C allocations too:
    libsndfile, mpg123) is watched; then every ``trace_every``-th runs again under
    tracemalloc (Python allocations; ten times slower, and its own tables grow the RSS).
    """
    import resource

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    slowest, peak, outcomes = 0.0, 0, 0
    with _no_unraisable() as unraisable:
        for where, mutant in _mutants(mutants, seed):
            try:
                call_s, _ = _check(mutant, traced=False)
            except Exception:
                pytest.fail(f"{where}: {traceback.format_exc()}")
            assert call_s < MAX_CALL_S, f"{where}: a call took {call_s:.2f} s"
            assert not unraisable, f"{where}: {unraisable}"
            slowest, outcomes = max(slowest, call_s), outcomes + 1
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        assert growth < MAX_RSS_GROWTH_KB, f"peak RSS grew by {growth:,} KB"
        for where, mutant in _mutants(mutants, seed, every=trace_every):
            _, call_bytes = _check(mutant, traced=True)
            assert call_bytes < MAX_CALL_BYTES, f"{where}: a call allocated {call_bytes:,} bytes"
            peak = max(peak, call_bytes)
    return {
        "mutants": outcomes,
        "seeds": len(seeds()),
        "slowest_s": slowest,
        "peak_bytes": peak,
        "rss_kb": growth,
    }


def test_seed_files_cover_accepted_and_refused_formats() -> None:
    outcomes: dict[str, str] = {}
    for name, data in seeds().items():
        try:
            outcomes[name] = sniff_audio(data, source_name=name).format
        except MimoAudioError as exc:
            outcomes[name] = type(exc).__name__
    accepted = {o for o in outcomes.values() if o in ("wav", "mp3", "flac", "m4a", "ogg")}
    assert accepted == {"wav", "mp3", "flac", "m4a", "ogg"}
    assert sum(o == "UnsupportedAudioFormatError" for o in outcomes.values()) >= 30
    assert "CorruptAudioError" not in outcomes.values(), outcomes  # every seed is a valid file


def test_short_fuzz_run() -> None:
    report = run_fuzz(2000, seed=0)
    assert report["mutants"] == 2000


@pytest.mark.fuzz
def test_long_fuzz_run() -> None:
    mutants = int(os.environ.get("MIMO_FUZZ_MUTANTS", "100000"))
    seed = int(os.environ.get("MIMO_FUZZ_SEED", "1"))
    report = run_fuzz(mutants, seed=seed)
    print(f"\nfuzz: {report}")
    assert report["mutants"] == mutants


def test_rf64_with_a_huge_ds64_size_raises_nothing_inside_libsndfile() -> None:
    # Found by fuzzing: libsndfile then seeks before the start of the buffer. Our reader used
    # to raise there, inside a C callback, where the exception was printed and lost.
    data = bytearray(encode_tone(0.5, format="RF64"))
    assert data[12:16] == b"ds64"
    data[35] = 0xED  # the top byte of the ds64 data size
    with _no_unraisable() as unraisable:
        try:
            probe_bytes(bytes(data), source_name="x.wav")
        except MimoAudioError as exc:
            assert str(exc).startswith("x.wav: ")  # noqa: PT017 - either outcome is fine; nothing else
    assert unraisable == []


def test_fragments_nested_without_end_are_corrupt_not_a_recursion_error(
    fixture_file: Callable[[str], Path],
) -> None:
    # Found by fuzzing: a moof wrapped in 3,000 moofs leaves no fragment duration, and the
    # M4A fallback reader of the time (mutagen) then recursed until Python gave up.
    data = fixture_file("aac_fragmented.m4a").read_bytes()
    at = data.find(b"moof") - 4
    size = int.from_bytes(data[at : at + 4], "big")
    nested = data[at : at + size]
    for _ in range(3000):
        nested = (len(nested) + 8).to_bytes(4, "big") + b"moof" + nested
    with pytest.raises(MimoAudioError) as caught:
        probe_bytes(data[:at] + nested + data[at + size :], source_name="deep.m4a")
    assert str(caught.value).startswith("deep.m4a: ")
