"""``mimo-audio doctor`` as a library: probe MiMo with your key, settle what the table believes.

``run_doctor(client)`` returns a ``DoctorReport`` (each ``ProbeResult``, ``findings()``,
``text()``, ``write_json(path)``, ``write_capabilities(path)``: overrides that
``load_capabilities(path)`` / ``MIMO_CAPABILITIES=path`` apply to ``MODELS``).
"""

from __future__ import annotations

from ._doctor.probes import PROBE_NAMES, ProbeName, ProbeResult
from ._doctor.report import DoctorReport
from ._doctor.run import run_doctor

__all__ = ["PROBE_NAMES", "DoctorReport", "ProbeName", "ProbeResult", "run_doctor"]
