"""Batch throughput and the rate ceiling, against the emulator with 200 ms of latency.

    python benchmarks/bench_batch.py [--files 200] [--latency-ms 200] [--concurrency 16]

1. Baseline: a plain sequential loop of ``client.chat.completions.create`` over N short
   files (the parts built with ``input_audio_part``), in this run.
2. ``ask_batch_async`` over the same files at ``--concurrency`` (goal: >= 12x faster),
   under ``--rpm``, which the emulator (``mimo-audio serve --rpm``, its own process)
   enforces too: one attempt per item, so a single 429 would show as a failed item.
3. The ceiling binding: the same files under a short-window limiter (``--window-s``,
   ``--window-requests``), and the emulator's log must never show more arrivals than
   the ceiling in any window of that length. (A 60 s window behaves the same, only slower.)
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from _common import arg_parser, emulator_argv, max_in_window, start_server, stop_server
from openai import AsyncOpenAI, OpenAI

from mimo_openai_ext import DEFAULT_MODEL, ask_batch_async, input_audio_part, text_part, user_message
from mimo_openai_ext._retry import RetryPolicy
from mimo_openai_ext.batch import RateLimiter
from mimo_openai_ext.emulator import DEFAULT_EMULATOR_API_KEY, run_emulator

QUESTION = "What is said in this recording?"


def _make_files(folder: Path, count: int) -> list[Path]:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = folder / f"clip{i:03d}.wav"
        sf.write(path, 0.05 * rng.standard_normal(8000 + 80 * (i % 50)), 16_000, subtype="PCM_16")
        paths.append(path)
    return paths


def _sequential(base_url: str, api_key: str, paths: list[Path]) -> float:
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)
    began = time.perf_counter()
    for path in paths:
        message = user_message(input_audio_part(path), text_part(QUESTION))
        client.chat.completions.create(model=DEFAULT_MODEL, messages=[message])
    elapsed = time.perf_counter() - began
    client.close()
    return elapsed


async def _batched(
    base_url: str, api_key: str, paths: list[Path], *, concurrency: int, **limit: object
) -> float:
    async with AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=60) as client:
        began = time.perf_counter()
        results = await ask_batch_async(client, paths, QUESTION, concurrency=concurrency, **limit)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - began
    if results.failed:
        raise SystemExit(f"{len(results.failed)} items failed: {results.failed[0].error}")
    return elapsed


def _speed(args: argparse.Namespace, paths: list[Path]) -> None:
    """Sequential ``create`` loop vs the batch, against one out-of-process emulator.

    In its own process, so the emulator's CPU work does not share our GIL.
    """
    argv = emulator_argv("--latency-ms", str(args.latency_ms), "--rpm", str(args.rpm))
    server, base_url = start_server(argv)
    try:
        sequential_s = _sequential(base_url, DEFAULT_EMULATOR_API_KEY, paths)
        print(f"sequential create() loop:          {sequential_s:7.2f} s")
        # attempts=1: a 429 from the server's own --rpm window would fail an item, not be retried away.
        batch_s = asyncio.run(
            _batched(
                base_url,
                DEFAULT_EMULATOR_API_KEY,
                paths,
                concurrency=args.concurrency,
                requests_per_minute=args.rpm,
                retry=RetryPolicy(attempts=1),
            )
        )
    finally:
        stop_server(server)
    ratio = sequential_s / batch_s
    verdict = "PASS" if ratio >= 12 else "FAIL"
    print(
        f"ask_batch_async, concurrency {args.concurrency}:   {batch_s:7.2f} s "
        f"-> {ratio:.1f}x ({verdict}, goal >= 12x)"
    )
    print(f"  no item failed, so the server's own {args.rpm} RPM window never answered 429")


def _ceiling(args: argparse.Namespace, paths: list[Path]) -> None:
    """A binding short-window ceiling, measured on the in-process emulator's request log."""
    with run_emulator(latency_ms=args.latency_ms) as emu:
        limiter = RateLimiter(args.window_requests, window_s=args.window_s)
        limited_s = asyncio.run(
            _batched(emu.base_url, emu.api_key, paths, concurrency=args.concurrency, rate_limiter=limiter)
        )
        peak = max_in_window([r.time_s for r in emu.completions()], args.window_s)
    floor_s = args.window_s * (len(paths) / args.window_requests - 1)
    verdict = "PASS" if peak <= args.window_requests else "FAIL"
    print(
        f"under {args.window_requests} requests / {args.window_s:g} s: {limited_s:.2f} s "
        f"(floor {floor_s:.1f} s); "
        f"most arrivals in any {args.window_s:g} s on the server: {peak} ({verdict})"
    )


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rpm", type=int, default=6000, help="the ceiling for the speed run (default: 6000)")
    parser.add_argument("--window-s", type=float, default=1.0)
    parser.add_argument("--window-requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = _make_files(Path(tmp), args.files)
        print(f"{args.files} files of 0.5-0.75 s, emulator latency {args.latency_ms:g} ms")
        _speed(args, paths)
        _ceiling(args, paths)


if __name__ == "__main__":
    main()
