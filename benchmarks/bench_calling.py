"""Per-call overhead of our calling path vs a bare ``client.chat.completions.create``.

Both send the same prepared payload (the shipped speech sample as a data URI plus a
question) to an emulator on loopback; the calls are interleaved so drift hits all
alike. Printed: median and mean milliseconds per call and the ratio to the bare call.

* ``create_completion`` - our retry layer (tenacity, ``with_options(max_retries=0)``);
  the goal is <= 1.10x the bare call.
* ``ask`` - the whole helper from raw bytes: probe, data URI, estimate, retried call,
  Answer with usage/cost and the audio-heard check (it does more work than the bare
  call, which gets a ready payload; shown for information).

Run: ``python benchmarks/bench_calling.py [--calls 300]``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from _common import arg_parser, elapsed_s

from mimo_openai_ext import DEFAULT_MODEL, ask, input_audio_part, sample_audio_path, text_part, user_message
from mimo_openai_ext.emulator import run_emulator
from mimo_openai_ext.retry import create_completion

QUESTION = "What is said in this recording?"


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    audio = sample_audio_path().read_bytes()
    payload: dict[str, Any] = {
        "model": DEFAULT_MODEL,
        "messages": [user_message(input_audio_part(audio), text_part(QUESTION))],
        "extra_body": {"thinking": {"type": "disabled"}},
    }
    with run_emulator() as emulator, emulator.client() as client:
        paths: dict[str, Callable[[], Any]] = {
            "bare create": lambda: client.chat.completions.create(**payload),
            "create_completion": lambda: create_completion(client, **payload),
            "ask (from bytes)": lambda: ask(client, audio, QUESTION, thinking=False),
        }
        for fn in paths.values():  # warm up connections and imports
            for _ in range(20):
                fn()
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.calls):
            for name, fn in paths.items():
                samples[name].append(elapsed_s(fn))

    base = statistics.median(samples["bare create"])
    print(f"{args.calls} calls each, {len(audio):,}-byte MP3 sample, emulator on loopback (in-process)")
    print(f"{'path':<20} {'median ms':>10} {'mean ms':>9} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name:<20} {median * 1e3:>10.3f} {statistics.fmean(values) * 1e3:>9.3f} {median / base:>6.2f}x"
        )
    ours = statistics.median(samples["create_completion"])
    ratio = ours / base
    verdict = "OK" if ratio <= 1.10 else "OVER"
    print(
        f"create_completion overhead: {ratio:.2f}x, {(ours - base) * 1e6:+.0f} us a call "
        f"(goal <= 1.10x): {verdict}"
    )


if __name__ == "__main__":
    main()
