"""Split a 60-minute AAC M4A into 10-minute chunks: time, memory and first progress, against ffmpeg.

    python benchmarks/bench_split.py [--minutes 60] [--runs 2] [--keep DIR]

Generates (into a temporary directory) a 60-minute 44.1 kHz stereo WAV of speech with
pauses and encodes it with ffmpeg as AAC in M4A (128 kbps), what a phone or a meeting
recorder hands over. Then, each in its own process (peak RSS from ``wait4``):

* the baseline: ffmpeg decoding the M4A and writing the same 10-minute mono 16 kHz
  FLAC chunks with its segment muxer (``-ac 1 -ar 16000 -c:a flac -f segment
  -segment_time 600``);
* ``mimo-audio split FILE -o DIR --max-duration 600`` on a pseudo-terminal, so its
  progress bar is drawn as a user sees it: the time until the bar first appears, and
  until it first moves, are read off the terminal.

Goals (PASS/FAIL, exit 1 on FAIL): at most 1.5x ffmpeg's time, progress on screen
within 1 s of the start, peak RSS under 200 MB.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _audio import make_meeting
from _common import arg_parser

GOAL_TIME_RATIO = 1.5
GOAL_FIRST_PROGRESS_S = 1.0
GOAL_PEAK_MB = 200.0
_MOVED = re.compile(rb"([0-9]+(?:\.[0-9]+)?)/[0-9]+(?:\.[0-9]+)?s?\s*\[")


def ffmpeg_split(m4a: Path, out: Path) -> tuple[float, float, int]:
    """ffmpeg's decode + segment muxer: (seconds, peak RSS MB, chunks)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    argv = ["ffmpeg", "-v", "error", "-y", "-i", str(m4a), "-ac", "1", "-ar", "16000", "-c:a", "flac",
            "-f", "segment", "-segment_time", "600", str(out / "%03d.flac")]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("ffmpeg failed")
    return elapsed, usage.ru_maxrss / 1024, len(list(out.iterdir()))


def ours(m4a: Path, out: Path) -> dict[str, float]:
    """``mimo-audio split`` with its stderr on a pseudo-terminal."""
    shutil.rmtree(out, ignore_errors=True)
    argv = [
        sys.executable,
        "-m",
        "mimo_openai_ext",
        "split",
        str(m4a),
        "-o",
        str(out),
        "--max-duration",
        "600",
    ]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # tqdm needs a width
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    shown = moved = float("nan")
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                data = b""
            if not data:
                break
            now = time.perf_counter() - start
            screen += data
            if shown != shown and b"|" in screen:
                shown = now
            if moved != moved and any(float(m) > 0 for m in _MOVED.findall(screen)):
                moved = now
        elif proc.poll() is not None:
            break
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    os.close(master)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"mimo-audio split failed:\n{screen.decode(errors='replace')}")
    chunks = len(list(out.iterdir()))
    return {
        "s": elapsed,
        "peak_mb": usage.ru_maxrss / 1024,
        "shown_s": shown,
        "moved_s": moved,
        "chunks": chunks,
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = arg_parser(__doc__)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=2, help="best of N")
    parser.add_argument("--keep", type=Path, help="keep the generated files here (reused when present)")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        raise SystemExit("the baseline needs ffmpeg on PATH")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-split-") as tmp_name:
        tmp = Path(tmp_name)
        home = args.keep or tmp
        home.mkdir(parents=True, exist_ok=True)
        wav, m4a = home / f"meeting-{args.minutes:g}min.wav", home / f"meeting-{args.minutes:g}min.m4a"
        if not m4a.exists():
            if not wav.exists():
                print(f"generating {wav.name} ...", flush=True)
                make_meeting(wav, duration_s=args.minutes * 60)
            print(f"encoding {m4a.name} (AAC 128 kbps, 44.1 kHz stereo) ...", flush=True)
            encode = ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "128k", str(m4a)]
            subprocess.run(encode, check=True)
        print(f"\n== split: {m4a.name}, {m4a.stat().st_size / 1e6:,.0f} MB, 10-minute chunks ==")
        # the two take turns, so that on a shared machine neither gets all the quiet moments
        ff_runs, runs = [], []
        for _ in range(args.runs):
            ff_runs.append(ffmpeg_split(m4a, tmp / "ff"))
            runs.append(ours(m4a, tmp / "ours"))
        ff = min(ff_runs, key=lambda r: r[0])
        print(f"ffmpeg -ac 1 -ar 16000 -c:a flac -f segment -segment_time 600: {ff[0]:6.2f} s  "
              f"peak {ff[1]:5.0f} MB  -> {ff[2]} chunks")  # fmt: skip
        best = min(runs, key=lambda r: r["s"])
        print(f"mimo-audio split --max-duration 600                       : {best['s']:6.2f} s  "
              f"peak {max(r['peak_mb'] for r in runs):5.0f} MB  -> {best['chunks']:.0f} chunks")  # fmt: skip
        shown = max(r["shown_s"] for r in runs)
        moved = max(r["moved_s"] for r in runs)
        ratio = best["s"] / ff[0]
        peak = max(r["peak_mb"] for r in runs)
        time_ok = ratio <= GOAL_TIME_RATIO
        progress_ok = moved <= GOAL_FIRST_PROGRESS_S  # NaN (never moved) fails
        peak_ok = peak < GOAL_PEAK_MB
        print(f"  time  {ratio:.2f}x ffmpeg (goal <= {GOAL_TIME_RATIO}x): {verdict(time_ok)}")
        print(
            f"  progress bar on screen after {shown:.2f} s, moving after {moved:.2f} s "
            f"(goal <= {GOAL_FIRST_PROGRESS_S:g} s, worst of {args.runs} runs): {verdict(progress_ok)}"
        )
        each = ", ".join(f"{r['moved_s']:.2f}" for r in runs)
        print(f"    moving after, run by run: {each} s (load average now {os.getloadavg()[0]:.2f})")
        print(f"  peak RSS {peak:.0f} MB (goal < {GOAL_PEAK_MB:.0f} MB): {verdict(peak_ok)}")
    passed = time_ok and progress_ok and peak_ok
    print(f"\ngoal (<= {GOAL_TIME_RATIO}x ffmpeg, progress within {GOAL_FIRST_PROGRESS_S:g} s, "
          f"< {GOAL_PEAK_MB:.0f} MB): {verdict(passed)}")  # fmt: skip
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
