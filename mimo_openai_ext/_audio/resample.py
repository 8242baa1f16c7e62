"""A streaming polyphase resampler in plain NumPy (no SciPy, no extras).

Audio is fed in blocks of any size; each call returns the output samples that are
complete so far, so a file of any length is resampled in bounded memory. The filter
is a Kaiser-windowed sinc (the design ``scipy.signal.resample_poly`` uses: cut-off at
the lower Nyquist, ten zero crossings a side). Output sample ``n`` sits exactly at
input time ``n * in_rate / out_rate`` (no delay), and a whole stream yields exactly
``round(total_in * out_rate / in_rate)`` samples, so duration is preserved.

The work is one matrix product per group of output phases: a strided view of the
input (one row per ``down`` input samples) times a small dense filter matrix. That
keeps the inner loop in BLAS.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["StreamingResampler", "downmix"]

_ZERO_CROSSINGS = 10
_KAISER_BETA = 5.0
_GROUP_WIDTH = 48
"""Output phases per matrix product: small enough that a group's input rows do not
overlap (so the strided view goes to BLAS without a copy), big enough to keep BLAS busy."""
_SINGLE_THREAD_MNK = 65536 * 4
"""OpenBLAS runs a product with m*n*k at most this on one thread. Bigger products wake
its thread pool, which then spins against the decoder and encoder on a small machine
(measured: 7x slower in the whole pipeline on 2 cores), so products stay below it."""


def downmix(block: NDArray[np.float32]) -> NDArray[np.float32]:
    """Average channels-last audio to one channel (a 1-D block passes through)."""
    if block.ndim == 1:
        return block
    if block.shape[1] == 1:
        return block[:, 0]
    import numpy as np

    mono = block[:, 0] + block[:, 1]  # a column loop: ``mean(axis=1)`` is ten times slower
    for channel in range(2, block.shape[1]):
        mono += block[:, channel]
    mono *= np.float32(1.0 / block.shape[1])
    return mono


class StreamingResampler:
    """Resample one channel of float32 audio from ``in_rate_hz`` to ``out_rate_hz``.

    Call :meth:`process` with consecutive blocks, then :meth:`flush` once.
    """

    def __init__(self, *, in_rate_hz: int, out_rate_hz: int) -> None:
        import numpy as np

        if in_rate_hz <= 0 or out_rate_hz <= 0:
            raise ValueError(f"sample rates must be positive, got {in_rate_hz} -> {out_rate_hz}")
        g = math.gcd(in_rate_hz, out_rate_hz)
        self.up = out_rate_hz // g
        self.down = in_rate_hz // g
        self._half = _ZERO_CROSSINGS * max(self.up, self.down)
        self._groups = self._design()
        # input index k' relative to q * down, over every group
        self._kmin = min(k0 for k0, _, _, _ in self._groups)
        self._kmax = max(k0 + h.shape[0] - 1 for k0, _, _, h in self._groups)
        self._buffer = np.zeros(-self._kmin, dtype=np.float32)  # leading zeros: the filter's past
        self._buffer_start = self._kmin  # input index of _buffer[0]
        self._q = 0  # next super-frame (``up`` outputs) to produce
        self._total_in = 0
        self._total_out = 0

    def _design(self) -> list[tuple[int, int, int, NDArray[np.float32]]]:
        import numpy as np

        up, down, half = self.up, self.down, self._half
        cutoff = 1.0 / max(up, down)
        t = np.arange(-half, half + 1, dtype=np.float64)
        window = np.kaiser(2 * half + 1, _KAISER_BETA)
        taps = cutoff * np.sinc(cutoff * t) * window * up  # gain `up` restores the level
        groups = []
        for r0 in range(0, up, _GROUP_WIDTH):
            r1 = min(up, r0 + _GROUP_WIDTH)
            k0 = -((half - r0 * down) // up)  # ceil((r0*down - half) / up)
            k1 = ((r1 - 1) * down + half) // up
            matrix = np.zeros((k1 - k0 + 1, r1 - r0), dtype=np.float64)
            for r in range(r0, r1):
                k = np.arange(k0, k1 + 1)
                idx = r * down - k * up + half
                ok = (idx >= 0) & (idx <= 2 * half)
                matrix[ok, r - r0] = taps[idx[ok]]
            groups.append((k0, r0, r1, matrix.astype(np.float32)))
        return groups

    @property
    def total_out(self) -> int:
        return self._total_out

    def process(self, block: NDArray[np.float32]) -> NDArray[np.float32]:
        """Feed the next samples; return the outputs that no longer depend on future input."""
        import numpy as np

        block = np.ascontiguousarray(block, dtype=np.float32)
        self._total_in += block.shape[0]
        self._buffer = np.concatenate((self._buffer, block)) if self._buffer.size else block
        end = self._buffer_start + self._buffer.shape[0]  # first input index not yet seen
        # super-frame q needs inputs up to q*down + kmax
        q_stop = (end - 1 - self._kmax) // self.down + 1
        return self._run(q_stop, final=False)

    def flush(self) -> NDArray[np.float32]:
        """Pad with silence, return the last outputs; the total is round(in * up / down)."""
        import numpy as np

        wanted = (self._total_in * self.up + self.down // 2) // self.down
        q_stop = -(-wanted // self.up)
        need_end = (q_stop - 1) * self.down + self._kmax + 1
        pad = max(0, need_end - (self._buffer_start + self._buffer.shape[0]))
        self._buffer = np.concatenate((self._buffer, np.zeros(pad, dtype=np.float32)))
        before = self._total_out
        out = self._run(q_stop, final=True)[: max(0, wanted - before)]
        self._total_out = before + out.shape[0]
        return out

    def _run(self, q_stop: int, *, final: bool) -> NDArray[np.float32]:
        import numpy as np
        from numpy.lib.stride_tricks import as_strided

        n_q = q_stop - self._q
        if n_q <= 0:
            return np.zeros(0, dtype=np.float32)
        buf = self._buffer
        out = np.empty((n_q, self.up), dtype=np.float32)
        base = self._q * self.down - self._buffer_start  # buffer offset of k'=0 for the first q
        item = buf.itemsize
        for k0, r0, r1, matrix in self._groups:
            width = matrix.shape[0]
            per_product = max(1, _SINGLE_THREAD_MNK // (width * matrix.shape[1]))
            for q0 in range(0, n_q, per_product):
                q1 = min(n_q, q0 + per_product)
                start = base + q0 * self.down + k0
                rows = as_strided(buf[start:], shape=(q1 - q0, width), strides=(self.down * item, item))
                if width > self.down:  # overlapping rows: BLAS needs a real matrix
                    rows = np.ascontiguousarray(rows)
                np.matmul(rows, matrix, out=out[q0:q1, r0:r1])
        self._q = q_stop
        flat = out.reshape(-1)
        self._total_out += flat.shape[0]
        if not final:
            keep_from = self._q * self.down + self._kmin - self._buffer_start
            self._buffer = buf[keep_from:].copy()
            self._buffer_start += keep_from
        return flat
