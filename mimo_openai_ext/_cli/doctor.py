"""``mimo-audio doctor``: a live check of the model table with your key (``--offline``: the emulator).

A shell over :func:`mimo_openai_ext.doctor.run_doctor`: parse, run, print the table to
stdout (each probe as it ends on stderr, unless ``--quiet``), write the dated JSON report
(``--json [PATH]``) and the capabilities file (``--write-capabilities PATH``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from .._config import DEFAULT_LIMITS, ENV_CAPABILITIES
from .._doctor.probes import ProbeResult
from .._doctor.report import default_report_name
from .._doctor.run import run_doctor
from ._connection import add_connection_arguments, open_client
from ._types import positive_float

__all__ = ["EXIT_UNSETTLED", "register"]

EXIT_UNSETTLED = 1
"""Some probes got no usable answer (timeout, server error, no connection): run again later."""

_EPILOG = f"""\
Each probe is one tiny request (a 1 s tone, a one-word question, thinking off) with its own
timeout; no request is sent that could take the run past --max-cost. The key is never printed.
Load what it found into the model table with {ENV_CAPABILITIES}=PATH (see --write-capabilities).

exit status:
  0  every probe got an answer (the findings are in the table)
  1  some probes got no usable answer (timeout, server error, connection): run again later
  2  a usage mistake
"""


def _progress(result: ProbeResult) -> None:
    variant = f" {result.variant}" if result.variant else ""
    status = f" (HTTP {result.status})" if result.status not in (None, 200) else ""
    print(
        f"mimo-audio: doctor: {result.probe} {result.model}{variant}: {result.outcome}{status}",
        file=sys.stderr,
    )


def _report_path(given: str, checked_at: datetime) -> Path:
    path = Path(given)
    return path / default_report_name(checked_at) if given == "" or path.is_dir() else path


def _run(args: argparse.Namespace) -> int:
    emulator = {"rpm": DEFAULT_LIMITS.requests_per_minute}  # MiMo's documented 100 RPM per model
    with open_client(args, emulator_options=emulator) as client:
        report = run_doctor(
            client,
            models=args.model,
            max_cost_usd=args.max_cost,
            timeout_s=args.timeout,
            include_size=args.include_size,
            include_rate_limit=args.include_rate_limit,
            on_probe=None if args.quiet else _progress,
        )
    print(report.text())
    if args.json is not None:
        written = report.write_json(_report_path(args.json, report.checked_at))
        print(f"mimo-audio: doctor: report written to {written}", file=sys.stderr)
    if args.write_capabilities is not None:
        written = report.write_capabilities(args.write_capabilities)
        print(
            f"mimo-audio: doctor: capabilities written to {written}; load them with "
            f"{ENV_CAPABILITIES}={written} (or load_capabilities())",
            file=sys.stderr,
        )
    unsettled = [r for r in report.results if r.outcome == "error"]
    if unsettled:
        print(
            f"mimo-audio: doctor: {len(unsettled)} probe(s) got no usable answer: run again later",
            file=sys.stderr,
        )
        return EXIT_UNSETTLED
    return 0


def register(subparsers: Any) -> None:
    """Add ``doctor`` to the ``mimo-audio`` parser."""
    parser = subparsers.add_parser(
        "doctor",
        help="check with your key which models hear audio, which options MiMo takes (a few tiny requests)",
        description="Probe MiMo with a handful of tiny requests and settle what the model table only "
        "believes: audio per model and format, the format key, raw base64, max_tokens, reasoning_effort, "
        "retired models, Retry-After and the base64 limit.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--max-cost",
        type=positive_float,
        default=0.05,
        metavar="USD",
        help="spending cap for the run (default 0.05)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=60.0,
        metavar="S",
        help="seconds each probe may wait (default 60)",
    )
    parser.add_argument(
        "--include-size",
        action="store_true",
        help="also find the real base64 limit (50,000,000 characters or 50 MiB): one request of about 51 MB",
    )
    parser.add_argument(
        "--include-rate-limit",
        action="store_true",
        help="also see whether a 429 carries Retry-After: one-token requests until one (at most RPM + 20)",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        metavar="PATH",
        help="write the dated JSON report (a file, or a folder; default: ./mimo-doctor-YYYYMMDD-HHMMSS.json)",
    )
    parser.add_argument(
        "--write-capabilities",
        metavar="PATH",
        help=f"write the findings as model-table overrides ({ENV_CAPABILITIES}=PATH loads them)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print each probe as it ends")
    add_connection_arguments(
        parser,
        many_models=True,
        model_help="a model to probe (repeat it; default: today's audio models + retired)",
    )
    parser.set_defaults(func=_run)
