"""How fast is the MiMo emulator, next to a bare standard-library HTTP server?

Both servers run in their own process on loopback; the same client (``http.client``,
keep-alive) sends them the same bodies:

* small chat requests, one after another and from 32 threads: requests per second.
  The baseline echoes each body back;
* one 37 MB WAV as a data URI (a ~50 MB body, MiMo's limit): time until the answer.
  The baseline reads the whole body and answers its length (echoing 50 MB back would
  time the reply, not the accepting). The emulator also decodes the base64 and probes
  the audio;
* four such bodies at once: the emulator's peak memory (VmHWM), to show it is bounded.

Run: ``python benchmarks/bench_emulator.py [--small N] [--big N]``. Prints ratios
(emulator / baseline); the ratios, not the absolute numbers, are the result.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import statistics
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from _audio import write_tone
from _common import arg_parser, emulator_argv, peak_rss_mb, start_server, stop_server

from mimo_openai_ext import DEFAULT_MODEL

BASELINE_SERVER = r"""
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        size = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(size)
        out = body if size <= 1_000_000 else json.dumps({"received_bytes": len(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the emulator's backlog too

server = Server(("127.0.0.1", 0), Echo)
print(f"http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
server.serve_forever()
"""

KEY = "sk-bench"
SMALL_BODY = json.dumps(
    {"model": DEFAULT_MODEL, "messages": [{"role": "user", "content": "What is the capital of France?"}]}
).encode()


def post(conn: http.client.HTTPConnection, path: str, body: bytes) -> bytes:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}: {data[:300]!r}")
    return data


def connect(base_url: str) -> tuple[http.client.HTTPConnection, str]:
    url = urllib.parse.urlsplit(base_url)
    return http.client.HTTPConnection(
        url.hostname or "", url.port, timeout=120
    ), url.path + "/chat/completions"


def small_rps(base_url: str, count: int, threads: int) -> float:
    def worker(n: int) -> None:
        conn, path = connect(base_url)
        try:
            for _ in range(n):
                post(conn, path, SMALL_BODY)
        finally:
            conn.close()

    per_thread = max(1, count // threads)
    start_s = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, [per_thread] * threads))
    return per_thread * threads / (time.perf_counter() - start_s)


def big_body() -> bytes:
    buf = io.BytesIO()  # 1168 s of 16 kHz mono PCM_16: 37.4 MB
    write_tone(buf, 16_000 * 1168, rate=16_000, freq_hz=440, amplitude=0.1, block_frames=16_000 * 60)
    uri = "data:audio/wav;base64," + base64.b64encode(buf.getvalue()).decode()
    part = {"type": "input_audio", "input_audio": {"data": uri}}
    message = {"role": "user", "content": [part, {"type": "text", "text": "Summarise the recording."}]}
    return json.dumps({"model": DEFAULT_MODEL, "messages": [message]}).encode()


def big_seconds(base_url: str, body: bytes, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        conn, path = connect(base_url)
        try:
            start_s = time.perf_counter()
            post(conn, path, body)
            times.append(time.perf_counter() - start_s)
        finally:
            conn.close()
    return statistics.median(times)


def concurrent_big(base_url: str, body: bytes, count: int) -> float:
    start_s = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(lambda _: big_seconds(base_url, body, 1), range(count)))
    return time.perf_counter() - start_s


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--small", type=int, default=640, help="small requests per measurement")
    parser.add_argument("--big", type=int, default=3, help="repeats of the 37 MB request")
    args = parser.parse_args()

    baseline, baseline_url = start_server([sys.executable, "-c", BASELINE_SERVER])
    emulator, emulator_url = start_server(emulator_argv("--quiet", "--api-key", KEY))
    try:
        body = big_body()
        print(f"big body: {len(body) / 1e6:.1f} MB (data URI of a 37.4 MB WAV)\n")
        rows = []
        for label, threads in (("small requests/s, 1 client", 1), ("small requests/s, 32 threads", 32)):
            base = small_rps(baseline_url, args.small, threads)
            emu = small_rps(emulator_url, args.small, threads)
            rows.append((label, base, emu, emu / base))
        base = big_seconds(baseline_url, body, args.big)
        emu = big_seconds(emulator_url, body, args.big)
        rows.append(("37 MB audio request, seconds", base, emu, emu / base))
        before_mb = peak_rss_mb(emulator.pid)
        four_s = concurrent_big(emulator_url, body, 4)
        after_mb = peak_rss_mb(emulator.pid)
    finally:
        for proc in (baseline, emulator):
            stop_server(proc)
    print(f"{'measure':32} {'baseline':>10} {'emulator':>10} {'ratio':>7}")
    for label, base, emu, ratio in rows:
        print(f"{label:32} {base:10.2f} {emu:10.2f} {ratio:7.2f}")
    print(
        f"\n4 x 50 MB bodies at once: {four_s:.2f} s; emulator peak RSS {before_mb:.0f} MB after one at a "
        f"time, {after_mb:.0f} MB after four at once (bodies in flight are capped at 100 MB)"
    )


if __name__ == "__main__":
    main()
