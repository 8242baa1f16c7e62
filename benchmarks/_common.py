"""Helpers shared by the benchmark scripts: argument parsing, timing, peak memory, servers.

A server here is a process that prints its base URL as its first line and serves until
terminated: ``mimo-audio serve --port 0`` (see ``emulator_argv``) or a baseline script.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


def arg_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser whose ``--help`` prints the script's docstring as written."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def elapsed_s(call: Callable[[], Any]) -> float:
    """Seconds ``call()`` takes; its result is freed only after the clock stops."""
    start = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def median_s(call: Callable[[], Any], repeats: int) -> float:
    """The median of ``repeats`` timings of ``call()``, in seconds."""
    return statistics.median(elapsed_s(call) for _ in range(repeats))


def peak_rss_mb(pid: int) -> float:
    """A process's resident high-water mark (VmHWM) in MB; NaN where /proc lacks it."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def emulator_argv(*options: str) -> list[str]:
    """``mimo-audio serve`` on a free loopback port, in a fresh interpreter."""
    return [sys.executable, "-m", "mimo_openai_ext", "serve", "--port", "0", *options]


def start_server(argv: list[str], *, timeout_s: float = 60.0) -> tuple[subprocess.Popen[str], str]:
    """Start ``argv`` and wait for the base URL it prints; return (process, base URL)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdout = proc.stdout
    if stdout is None:
        raise RuntimeError("no stdout pipe")
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=timeout_s)
    base_url = line[0].strip() if line else ""
    if not base_url.startswith("http"):
        stop_server(proc)
        raise SystemExit(f"the server did not start: {base_url!r}")
    return proc, base_url


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


def max_in_window(times: list[float], window_s: float) -> int:
    """The most of ``times`` (arrivals, in seconds) inside any window of ``window_s``."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best
