"""Fuzzing the decoders: damaged files of every format decode to blocks or to our error, quietly.

The byte parsers have their own fuzz test (``test_fuzz_parsers.py``); this one drives the
same seeded mutants through ``open_audio`` and every block it yields, the path ``fit_audio``,
``split_audio`` and ``convert_audio`` take, so what libsndfile and PyAV raise on damaged
input (a ``ValueError`` for a layout of 0 channels, libsndfile's short write, ...) is
proved to come out as a ``MimoAudioError``, and libmpg123's complaints stay off stderr.
A short run is in the default test command; ``pytest -m fuzz`` runs the long one
(``MIMO_FUZZ_DECODE_MUTANTS``, ``MIMO_FUZZ_SEED``).
"""

from __future__ import annotations

import os
import random
import time
import traceback

import pytest
from _mutate import mutate
from test_fuzz_parsers import seeds

from mimo_openai_ext import MimoAudioError
from mimo_openai_ext._audio.decode import open_audio

MAX_CALL_S = 2.0
_NOISE = (b"libmpg123", b"Note: ", b"Warning: Xing", b"fuzzy seeking")


def _decode_all(data: bytes) -> None:
    with open_audio(data, name="mutant") as stream:
        for _ in stream.blocks(size=1 << 16):
            pass


def run_decode_fuzz(count: int, seed: int, capfd: pytest.CaptureFixture[str]) -> float:
    files = seeds()
    names = sorted(files)
    slowest = 0.0
    for index in range(count):
        name = names[index % len(names)]
        mutant, steps = mutate(files[name], random.Random(f"decode-{seed}-{index}"))
        where = f"seed {seed}, mutant {index} of {name} ({'; '.join(steps)})"
        start = time.monotonic()
        try:
            _decode_all(mutant)
        except MimoAudioError:
            pass
        except Exception:
            pytest.fail(f"{where}: {traceback.format_exc()}")
        took = time.monotonic() - start
        assert took < MAX_CALL_S, f"{where}: decoding took {took:.2f} s"
        slowest = max(slowest, took)
        err = capfd.readouterr().err.encode()
        assert not any(n in err for n in _NOISE), f"{where}: the decoder printed {err[:200]!r}"
    return slowest


def test_damaged_files_decode_or_raise_our_error_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    assert run_decode_fuzz(300, 1, capfd) < MAX_CALL_S


@pytest.mark.fuzz
def test_long_decode_fuzz(capfd: pytest.CaptureFixture[str]) -> None:
    count = int(os.environ.get("MIMO_FUZZ_DECODE_MUTANTS", "20000"))
    seed = int(os.environ.get("MIMO_FUZZ_SEED", "7"))
    slowest = run_decode_fuzz(count, seed, capfd)
    with capfd.disabled():
        print(f"decode fuzz: {count} mutants, seed {seed}, slowest {slowest:.2f} s")
