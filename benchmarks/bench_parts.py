"""Building an audio part from a 37 MB WAV, against the plain one-liner.

Baseline (what a user would write)::

    "data:audio/wav;base64," + base64.b64encode(path.read_bytes()).decode()

Ours: ``input_audio_part(path)``, which also sniffs the format from the bytes, probes
the headers and checks MiMo's 50,000,000-character limit. Goal: <= 1.3x the baseline's
time. Peak memory is measured in a fresh process per variant (growth of the resident
high-water mark, VmHWM, and tracemalloc's peak of Python allocations) and printed as a
multiple of the file size. Our RSS includes the file's pages, memory-mapped read-only
(page cache the kernel can drop), instead of a private copy read into the heap.

Run: ``python benchmarks/bench_parts.py [--size-mb 37] [--repeats 5]``.
The WAV is generated into a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _audio import write_tone
from _common import arg_parser, elapsed_s

BASELINE = 'out = "data:audio/wav;base64," + base64.b64encode(path.read_bytes()).decode()'
OURS = 'out = input_audio_part(path)["input_audio"]["data"]'

_MEASURE = """
import base64, json, sys, time, tracemalloc
from pathlib import Path

def high_water_bytes():  # VmHWM: per process image (ru_maxrss survives exec from the parent)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0

from mimo_openai_ext import input_audio_part
import soundfile  # loaded by the probe anyway; import it before measuring
path = Path(sys.argv[1])
before = high_water_bytes()
tracemalloc.start()
start = time.perf_counter()
{code}
elapsed = time.perf_counter() - start
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
after = high_water_bytes()
print(json.dumps({{"rss": after - before, "traced": peak, "chars": len(out), "s": elapsed}}))
"""


def make_wav(path: Path, size_bytes: int) -> None:
    """A 16-bit stereo 44.1 kHz WAV of about ``size_bytes``, a quiet noise floor under a tone."""
    frames = (size_bytes - 44) // 4
    write_tone(path, frames, rate=44_100, channels=2, noise=0.01, block_frames=44_100 * 10)


def time_in_process(path: Path, repeats: int) -> tuple[list[float], list[float]]:
    import base64

    from mimo_openai_ext import input_audio_part

    def plain() -> str:
        return "data:audio/wav;base64," + base64.b64encode(path.read_bytes()).decode()

    input_audio_part(path)  # warm imports and the page cache
    baseline, ours = [], []
    for _ in range(repeats):  # interleaved, so drift hits both alike
        baseline.append(elapsed_s(plain))
        ours.append(elapsed_s(lambda: input_audio_part(path)))
    return baseline, ours


def memory_in_subprocess(path: Path, code: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE.format(code=code), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--size-mb", type=float, default=37.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.wav"
        make_wav(path, int(args.size_mb * 1_000_000))
        size = path.stat().st_size
        print(f"file: {size:,} bytes ({size / 1e6:.1f} MB WAV)")
        baseline, ours = time_in_process(path, args.repeats)
        b, o = statistics.median(baseline), statistics.median(ours)
        print(f"time  baseline {b * 1000:7.1f} ms   input_audio_part {o * 1000:7.1f} ms   ratio {o / b:.2f}x")
        for label, code in (("baseline", BASELINE), ("input_audio_part", OURS)):
            mem = memory_in_subprocess(path, code)
            print(
                f"memory {label:17} peak RSS growth {mem['rss'] / size:.2f}x file, "
                f"Python allocations peak {mem['traced'] / size:.2f}x file "
                f"(data URI {mem['chars']:,} chars)"
            )
        verdict = "meets" if o / b <= 1.3 else "MISSES"
        print(f"goal <= 1.3x time: {verdict} ({o / b:.2f}x)")


if __name__ == "__main__":
    main()
