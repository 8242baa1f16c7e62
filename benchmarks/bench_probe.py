"""Probing a file in-process (``probe_audio``) against one ``ffprobe`` run per file.

For each format MiMo accepts, a 5-minute file is generated into a temporary directory
(soundfile for WAV/FLAC/OGG/MP3, ffmpeg for M4A); each is probed ``--repeats`` times
both ways. Printed: median milliseconds per file, the ratio (goal: >= 50x faster), and
both durations, so the speed never comes at the price of a wrong answer.

Run: ``python benchmarks/bench_probe.py [--repeats 20] [--seconds 300]``. Needs ffmpeg.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _audio import write_tone
from _common import arg_parser, median_s


def make_files(folder: Path, seconds: float) -> list[Path]:
    rate = 44_100
    files = []
    for name, fmt, subtype in (
        ("a.wav", "WAV", "PCM_16"),
        ("a.flac", "FLAC", "PCM_16"),
        ("a.ogg", "OGG", "VORBIS"),
        ("a.mp3", "MP3", "MPEG_LAYER_III"),
    ):
        write_tone(folder / name, round(seconds * rate), rate=rate, channels=2, format=fmt, subtype=subtype)
        files.append(folder / name)
    m4a = folder / "a.m4a"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(folder / "a.wav"), "-c:a", "aac", "-b:a", "96k", str(m4a)],
        check=True,
    )
    files.append(m4a)
    return files


def ffprobe_duration(path: Path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


def main() -> int:
    parser = arg_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=300.0)
    args = parser.parse_args()
    if shutil.which("ffprobe") is None:
        print("ffprobe is not installed: nothing to compare against", file=sys.stderr)
        return 1
    from mimo_openai_ext import probe_audio

    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp), args.seconds)
        probe_audio(files[0])  # warm the lazy imports (soundfile) once, as any long-lived process would
        print(f"{'file':8} {'size':>12} {'ours ms':>9} {'ffprobe ms':>11} {'ratio':>8}  ours / ffprobe")
        for path in files:
            ours = median_s(lambda p=path: probe_audio(p), args.repeats)
            theirs = median_s(lambda p=path: ffprobe_duration(p), max(3, args.repeats // 4))
            ratios.append(theirs / ours)
            mine, ref = probe_audio(path).duration_s, ffprobe_duration(path)
            print(
                f"{path.name:8} {path.stat().st_size:>12,} {ours * 1000:9.3f} {theirs * 1000:11.1f} "
                f"{theirs / ours:7.0f}x  {mine:.3f} / {ref:.3f} s"
            )
    worst = min(ratios)
    verdict = "meets" if worst >= 50 else "MISSES"
    print(f"slowest format is {worst:.0f}x faster than ffprobe (goal >= 50x): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
