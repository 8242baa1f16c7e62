"""Fit and split long recordings: time and peak memory, against ffmpeg in the same run.

    python benchmarks/bench_fit.py [--minutes 60] [--split-hours 3] [--keep DIR]

Generates (into a temporary directory) a 60-minute 44.1 kHz stereo 16-bit WAV of
speech with pauses (~635 MB) and a 3-hour one (~1.9 GB), then measures, each in its
own process (peak RSS from ``wait4``):

* ``fit_audio(wav, max_bytes=100 MB)``: the mono 16 kHz FLAC step, the very
  conversion ``ffmpeg -ac 1 -ar 16000 -c:a flac`` does (goal: <= 1.5x its time,
  peak RSS < 200 MB);
* ``fit_audio(wav)`` with the default budget (50 M-character data URI): here an hour
  of speech is over the budget as FLAC, so it ends in MP3; compared with ffmpeg's
  libmp3lame at the same bitrate;
* ``split_audio(three_hours, max_duration_s=600)``: peak RSS while every chunk is made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _audio import make_meeting
from _common import arg_parser

FIT = """
import sys
from mimo_openai_ext import fit_audio
kwargs = {"max_bytes": int(sys.argv[2])} if len(sys.argv) > 2 else {}
fitted = fit_audio(sys.argv[1], **kwargs)
print(fitted.steps[0], fitted.size_bytes, round(fitted.info.duration_s, 3))
"""

SPLIT = """
import sys
from mimo_openai_ext import split_audio
chunks = 0
covered = 0.0
for chunk in split_audio(sys.argv[1], max_duration_s=600):
    chunks += 1
    covered += chunk.duration_s
print(chunks, round(covered, 2))
"""


def measure(argv: list[str]) -> tuple[float, float, str]:
    """Run ``argv``; return (seconds, peak RSS in MB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out.strip()


def best_of(runs: int, argv: list[str]) -> tuple[float, float, str]:
    results = [measure(argv) for _ in range(runs)]
    return min(results, key=lambda r: r[0])


def bench_fit(wav: Path, tmp: Path, runs: int) -> None:
    size_mb = wav.stat().st_size / 1e6
    print(f"\n== fit: {wav.name}, {size_mb:,.0f} MB ==")
    ff_flac = best_of(runs, ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "16000",
                             "-c:a", "flac", str(tmp / "ff.flac")])  # fmt: skip
    ours_flac = best_of(runs, [sys.executable, "-c", FIT, str(wav), "100000000"])
    print(f"ffmpeg -ac 1 -ar 16000 -c:a flac : {ff_flac[0]:6.2f} s  peak {ff_flac[1]:5.0f} MB")
    seconds, peak, result = ours_flac
    print(f"fit_audio(max_bytes=100 MB)      : {seconds:6.2f} s  peak {peak:5.0f} MB  -> {result}")
    print(f"  ratio to ffmpeg: {ours_flac[0] / ff_flac[0]:.2f}x time (goal <= 1.5x), peak RSS "
          f"{ours_flac[1]:.0f} MB (goal < 200 MB)")  # fmt: skip

    ours = best_of(runs, [sys.executable, "-c", FIT, str(wav)])
    step = ours[2]
    print(f"fit_audio() default budget       : {ours[0]:6.2f} s  peak {ours[1]:5.0f} MB  -> {step}")
    if step.startswith("MP3"):
        kbps = step.split()[1]
        ff_mp3 = best_of(runs, ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "16000",
                                "-c:a", "libmp3lame", "-b:a", f"{kbps}k", str(tmp / "ff.mp3")])  # fmt: skip
        print(f"ffmpeg ... -c:a libmp3lame {kbps}k  : {ff_mp3[0]:6.2f} s  peak {ff_mp3[1]:5.0f} MB")
        print(f"  ratio: {ours[0] / ff_mp3[0]:.2f}x ffmpeg's MP3, {ours[0] / ff_flac[0]:.2f}x ffmpeg's FLAC")
    else:
        print(f"  ratio to ffmpeg's FLAC: {ours[0] / ff_flac[0]:.2f}x")


def bench_split(wav: Path) -> None:
    size_mb = wav.stat().st_size / 1e6
    print(f"\n== split: {wav.name}, {size_mb:,.0f} MB, 10-minute chunks ==")
    seconds, peak, out = measure([sys.executable, "-c", SPLIT, str(wav)])
    chunks, covered = out.split()
    print(f"split_audio(max_duration_s=600)  : {seconds:6.2f} s  peak {peak:5.0f} MB  -> {chunks} chunks, "
          f"{float(covered) / 3600:.3f} h of chunks (incl. 1 s overlaps)")  # fmt: skip
    print(f"  peak RSS is {peak / size_mb * 100:.1f}% of the file: it never sits decoded in memory")


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--split-hours", type=float, default=3.0, help="0 skips the split benchmark")
    parser.add_argument("--runs", type=int, default=2, help="best of N for the timed fits")
    parser.add_argument("--keep", type=Path, help="keep the generated files here (reused when present)")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        raise SystemExit("the baseline needs ffmpeg on PATH")
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp_name:
        tmp = Path(tmp_name)
        home = args.keep or tmp
        home.mkdir(parents=True, exist_ok=True)
        wav = home / f"meeting-{args.minutes:g}min.wav"
        if not wav.exists():
            print(f"generating {wav.name} ...", flush=True)
            make_meeting(wav, duration_s=args.minutes * 60)
        bench_fit(wav, tmp, args.runs)
        if args.split_hours > 0:
            long_wav = home / f"meeting-{args.split_hours:g}h.wav"
            if not long_wav.exists():
                print(f"\ngenerating {long_wav.name} ...", flush=True)
                make_meeting(long_wav, duration_s=args.split_hours * 3600, seed=1)
            bench_split(long_wav)


if __name__ == "__main__":
    main()
