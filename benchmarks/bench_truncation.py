"""Does cutting an answer to ``max_completion_tokens`` stay linear in the answer's length?

The emulator's answer names every audio part it heard, so 2,000 small parts make a long
answer; with ``max_completion_tokens=64`` it is cut to a word prefix. The old cut dropped
one word at a time and recounted the tokens of the rest (quadratic: 49 s for 2,000 parts).

* the cut alone, ours (a binary search over the word count) against that old cut, run here
  as the baseline, on answers of growing length: the ratio old/ours, and how each grows
  when the answer doubles (about 2x is linear, about 4x quadratic);
* a whole request of N parts against the emulator, next to a request of one part.

Run: ``python benchmarks/bench_truncation.py [--words N]``. Prints ratios.
"""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.request

import numpy as np
import soundfile as sf
from _common import arg_parser, median_s

from mimo_openai_ext import DEFAULT_MODEL as MODEL
from mimo_openai_ext.emulator import run_emulator
from mimo_openai_ext.emulator._reply import _cut
from mimo_openai_ext.emulator._usage import text_tokens


def old_cut(text: str, budget: int) -> str:
    """The cut before the fix, kept here as the baseline."""
    words = text.split(" ")
    while words and text_tokens(" ".join(words)) > budget:
        words.pop()
    return " ".join(words)


def cut_table(words: int) -> None:
    print(f"{'words':>8} {'old s':>10} {'ours s':>10} {'old/ours':>9} {'old x':>6} {'ours x':>7}")
    previous: tuple[float, float] | None = None
    for n in (words // 4, words // 2, words):
        text = " ".join(f"audio{i}: wav, 0.10 s" for i in range(n))
        assert old_cut(text, 64) == _cut(text, 64)
        old = median_s(lambda text=text: old_cut(text, 64), 3)
        ours = median_s(lambda text=text: _cut(text, 64), 3)
        growth = ("", "") if previous is None else (f"{old / previous[0]:.1f}", f"{ours / previous[1]:.1f}")
        print(f"{n:>8,} {old:>10.4f} {ours:>10.6f} {old / ours:>9.0f} {growth[0]:>6} {growth[1]:>7}")
        previous = (old, ours)


def request_s(base_url: str, key: str, parts: int) -> float:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(800, dtype="float32"), 8000, format="WAV")
    part = {
        "type": "input_audio",
        "input_audio": {"data": "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()},
    }
    content = [part] * parts + [{"type": "text", "text": "what?"}]
    body = json.dumps(
        {
            "model": MODEL,
            "max_completion_tokens": 64,
            "messages": [{"role": "user", "content": content}],
        }
    )
    request = urllib.request.Request(
        base_url + "/chat/completions", data=body.encode(), headers={"api-key": key}, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    start = time.perf_counter()
    with opener.open(request, timeout=600) as response:
        response.read()
    return time.perf_counter() - start


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--words", type=int, default=2000, help="the longest answer cut, in words")
    args = parser.parse_args()
    cut_table(args.words)
    with run_emulator() as emu:
        one = min(request_s(emu.base_url, emu.api_key, 1) for _ in range(3))
        many = request_s(emu.base_url, emu.api_key, 2000)
    print(f"\nrequest of 2,000 parts / request of 1 part: {many / one:.0f}x ({many:.2f} s vs {one:.3f} s)")


if __name__ == "__main__":
    main()
