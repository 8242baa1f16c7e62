"""What the HTTP adapter adds to a 37 MB audio request, and what the proxy holds and serves.

The emulator runs in its own process (``mimo-audio serve``); the client is the real
``openai`` SDK. Timed over ``--repeats`` rounds (default 9), each round running every path
once in a rotated order (no path always first); the median and the minimum of each path are
printed, and the ratio of each against the baseline (the minimum is the least disturbed by
a loaded machine):

* **baseline**: our own MiMo-shaped part sent directly (``input_audio_part(wav)`` then
  ``create``, a plain ``OpenAI`` client): one base64 encode, the request, the answer;
* **adapter, OpenAI shape**: the same audio as OpenAI's raw base64 + ``format``
  (``base64.b64encode`` by the caller) through ``OpenAI(http_client=mimo_http_client())``:
  the adapter decodes it once, probes it and relabels it as a data URI. Goal: <= 1.10x;
* **adapter, MiMo shape**: the baseline's request through the adapter (it passes untouched).

The adapter's own memory: what it allocates (tracemalloc's peak) to rewrite one such body
and hand it on, as a multiple of the body (goal, with the body itself: < 3x). Then the
proxy (``mimo-audio proxy`` in its own process, the emulator upstream): its peak memory
(VmHWM above its idle size) for one such request, as a multiple of the body (goal: < 3x),
and 32 concurrent streaming clients, all of which must complete.

Run: ``python benchmarks/bench_adapter.py [--repeats 9] [--clients 32]``.
"""

from __future__ import annotations

import base64
import io
import json
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import openai
import soundfile as sf
from _common import arg_parser, elapsed_s, emulator_argv, peak_rss_mb, start_server, stop_server

from mimo_openai_ext import DEFAULT_MODEL, input_audio_part, mimo_http_client, user_message
from mimo_openai_ext._adapter._rules import AdapterOptions, Exchange, rewrite_chat_request
from mimo_openai_ext.emulator import DEFAULT_EMULATOR_API_KEY

MODEL = DEFAULT_MODEL
AUDIO_BYTES = 37_000_000
QUESTION = "What is said in this recording?"
NO_THINKING = {"thinking": {"type": "disabled"}}


def _wav(size_bytes: int) -> bytes:
    frames = (size_bytes - 44) // 4
    noise = np.random.default_rng(0).standard_normal((frames, 2)).astype("float32") * 0.1
    buf = io.BytesIO()
    sf.write(buf, noise, 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _openai_message(wav: bytes) -> dict[str, Any]:
    data = base64.b64encode(wav).decode("ascii")  # what OpenAI-style code does
    return {
        "role": "user",
        "content": [
            {"type": "text", "text": QUESTION},
            {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
        ],
    }


def _heard(completion: Any) -> int:
    tokens = completion.usage.prompt_tokens_details.audio_tokens
    if not tokens:
        raise SystemExit("the audio was not heard: the comparison would be meaningless")
    return int(tokens)


def time_adapter(base_url: str, wav: bytes, repeats: int) -> None:
    plain = openai.OpenAI(base_url=base_url, api_key=DEFAULT_EMULATOR_API_KEY, max_retries=0)
    adapted = openai.OpenAI(
        base_url=base_url, api_key=DEFAULT_EMULATOR_API_KEY, max_retries=0, http_client=mimo_http_client()
    )
    paths = {
        "baseline: our part, plain client": lambda: _heard(
            plain.chat.completions.create(
                model=MODEL,
                messages=[user_message(input_audio_part(wav), QUESTION)],
                extra_body=NO_THINKING,
            )
        ),
        "adapter: OpenAI shape": lambda: _heard(
            adapted.chat.completions.create(
                model=MODEL, messages=[_openai_message(wav)], extra_body=NO_THINKING
            )
        ),
        "adapter: our part (untouched)": lambda: _heard(
            adapted.chat.completions.create(
                model=MODEL,
                messages=[user_message(input_audio_part(wav), QUESTION)],
                extra_body=NO_THINKING,
            )
        ),
    }
    for call in paths.values():  # warm up: connections, imports, page cache
        call()
    samples: dict[str, list[float]] = {name: [] for name in paths}
    names = list(paths)
    for round_ in range(repeats):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:  # rotated order
            samples[name].append(elapsed_s(paths[name]))
    baseline = samples["baseline: our part, plain client"]
    base, base_min = statistics.median(baseline), min(baseline)
    chars = len(wav) * 4 // 3
    print(f"{len(wav):,}-byte WAV ({chars:,} characters of base64), {repeats} rounds, rotated order")
    print(f"{'path':<34} {'median s':>9} {'ratio':>7} {'min s':>7} {'ratio':>7}")
    for name, values in samples.items():
        median, least = statistics.median(values), min(values)
        print(f"{name:<34} {median:>9.3f} {median / base:>6.2f}x {least:>7.3f} {least / base_min:>6.2f}x")
    ratio = statistics.median(samples["adapter: OpenAI shape"]) / base
    ratio_min = min(samples["adapter: OpenAI shape"]) / base_min
    verdict = "OK" if ratio_min <= 1.10 else "OVER"
    print(
        f"adapter overhead (OpenAI shape vs our part): {ratio:.2f}x by the median, {ratio_min:.2f}x by "
        f"the minimum (goal, by the minimum: <= 1.10x): {verdict}"
    )
    body = json.dumps({"model": MODEL, "messages": [_openai_message(wav)]}).encode()
    work = statistics.median(elapsed_s(lambda: _rewrite(body)) for _ in range(repeats))
    print(
        f"the adapter's own work on that body (parse, one decode, probe, relabel): {work * 1e3:.0f} ms, "
        f"{work / base:.1%} of the baseline request (the rest of the difference is noise: compare the "
        "untouched path)"
    )


def _rewrite(body: bytes) -> int:
    """What the transport does with a request body: the rules, then the pieces handed on."""
    outgoing = rewrite_chat_request(body, AdapterOptions(), Exchange("chat"))
    return sum(len(bytes(piece)) for piece in outgoing.pieces or [])


def adapter_memory(wav: bytes) -> None:
    body = json.dumps({"model": MODEL, "messages": [_openai_message(wav)]}).encode()
    tracemalloc.start()
    outgoing = rewrite_chat_request(body, AdapterOptions(), Exchange("chat"))
    sent = sum(len(bytes(piece)) for piece in outgoing.pieces or [])  # as the transport hands it on
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ratio = (len(body) + peak) / len(body)
    print(
        f"adapter memory for a {len(body) / 1e6:.1f} MB body ({sent / 1e6:.1f} MB sent): the body plus "
        f"{peak / 1e6:.0f} MB at peak = {ratio:.2f}x the body (goal < 3x): {'OK' if ratio < 3 else 'OVER'}"
    )


def proxy_memory_and_streams(emulator_url: str, wav: bytes, clients: int) -> None:
    proxy_argv = [
        sys.executable, "-m", "mimo_openai_ext", "proxy", "--port", "0", "--quiet",
        "--upstream", emulator_url, "--api-key", DEFAULT_EMULATOR_API_KEY,
    ]  # fmt: skip
    proc, proxy_url = start_server(proxy_argv)
    try:
        client = openai.OpenAI(base_url=proxy_url, api_key="unused", max_retries=0, timeout=300)
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
        idle_mb = peak_rss_mb(proc.pid)
        message = _openai_message(wav)
        body_mb = len(message["content"][1]["input_audio"]["data"]) / 1e6
        _heard(client.chat.completions.create(model=MODEL, messages=[message], extra_body=NO_THINKING))
        del message
        grown = peak_rss_mb(proc.pid) - idle_mb
        ratio = grown / body_mb
        print(
            f"proxy peak memory for a {body_mb:.1f} MB body: +{grown:.0f} MB over {idle_mb:.0f} MB idle = "
            f"{ratio:.2f}x the body (goal < 3x): {'OK' if ratio < 3 else 'OVER'}"
        )
        small = _openai_message(wav[: 16000 * 4 * 2 + 44])  # about two seconds of the same WAV header
        small["content"][1]["input_audio"]["data"] = base64.b64encode(_wav(16000 * 4 * 2)).decode()

        def stream(_: int) -> tuple[int, int]:
            pieces = 0
            tokens = 0
            with client.chat.completions.create(
                model=MODEL, messages=[small], stream=True, stream_options={"include_usage": True}
            ) as events:
                for chunk in events:
                    pieces += 1 if chunk.choices and chunk.choices[0].delta.content else 0
                    if chunk.usage is not None:
                        tokens = chunk.usage.prompt_tokens_details.audio_tokens or 0
            return pieces, tokens

        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(stream, range(clients)))
        took = time.perf_counter() - start
        complete = sum(1 for pieces, tokens in results if pieces and tokens)
        print(
            f"{clients} concurrent streaming clients through the proxy: {complete}/{clients} complete, audio "
            f"heard in each, {took:.2f} s in all: {'OK' if complete == clients else 'FAILED'}"
        )
    finally:
        stop_server(proc)


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    wav = _wav(AUDIO_BYTES)
    proc, base_url = start_server(emulator_argv("--quiet"))
    try:
        time_adapter(base_url, wav, args.repeats)
        adapter_memory(wav)
        proxy_memory_and_streams(base_url, wav, args.clients)
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
