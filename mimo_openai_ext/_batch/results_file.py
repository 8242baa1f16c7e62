"""The batch results file: one JSON line per item, appended as each item completes.

Durability rules, so a batch killed at any moment (SIGKILL included) and resumed ends
with every item present exactly once and no corrupt line:

* each record is one ``os.write`` of ``json + "\\n"`` on an ``O_APPEND`` descriptor,
  followed by ``fsync``; a record is "done" only once its newline is on disk;
* on resume, a last line without its newline (a write torn by the kill) is cut off the
  file before anything is appended, and its item is asked again;
* a complete line that is not a JSON object is never guessed at: resuming refuses with
  the line number, so nobody's data is silently dropped;
* an exclusive ``flock`` keeps two batches from appending to the same file at once (the
  kernel drops it when a process dies, so a killed batch never leaves a stale lock);
* a write that fails (a full disk) is cut back off the file, so the file keeps only whole
  records, and raises :class:`ResultsFileError` naming the file and the way to resume;
* a ``.retry-failed`` temporary file left by a kill is removed when the file is next opened.

Every path a file system can hold round-trips: a name that is not valid UTF-8 (Python's
``surrogateescape`` convention, ``b"bad\\xff.wav"`` is ``"bad\\udcff.wav"``) is written as a
JSON ``\\udcff`` escape, so the line stays valid UTF-8 and reads back as the same ``str``
(``os.fsencode`` gives the original bytes).

Items are matched by what they are, not by how they were typed: a local file's record
holds its identity (:class:`FileIdentity`: the resolved path, size and modification
time), so ``calls/a.wav``, ``./calls/a.wav``, ``/abs/calls/a.wav`` and the same file
through a symlinked folder are one item, while ``source`` keeps the path as typed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from typing_extensions import NotRequired, TypedDict

from .._checks import check_path
from .._exceptions import ResultsFileError
from .identity import FileIdentity, ItemKey, file_identity, item_key

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "COST_DECIMALS",
    "BatchErrorRecord",
    "BatchRecord",
    "ResultsFile",
    "ResumeState",
    "find_record",
    "read_results",
    "record_key",
    "resume_state",
    "rounded_costs",
]


class BatchErrorRecord(TypedDict):
    """Why one item failed: the exception's type and message, and the HTTP status if any."""

    type: str
    message: str
    status: int | None


class BatchRecord(TypedDict):
    """One line of a results file (and ``BatchResult.record``)."""

    index: int
    """The item's position in the batch's input."""
    source: str
    """The path as given, or ``<bytes #N>`` for in-memory audio."""
    question: str
    model: str
    answer: str | None
    reasoning: str | None
    finish_reason: str | None
    duration_s: float | None
    """The audio's duration (from the pre-call estimate); ``None`` when unknown or failed."""
    usage: dict[str, Any] | None
    """``UsageReport.to_dict()``: every token count and ``cost_usd``; ``None`` for a failed item."""
    cost_usd: float | None
    error: BatchErrorRecord | None
    elapsed_s: float
    file: NotRequired[FileIdentity | None]
    """A local file's identity (resolved path, size, mtime); ``None`` for URLs and bytes. Absent
    from records written before it existed (they are matched by ``source``)."""


def record_key(record: BatchRecord) -> ItemKey:
    """The key of a record (a record from before identities were kept: by its source)."""
    return item_key(record["source"], record["question"], record.get("file"))


def _parse_line(line: bytes, *, number: int, path: Path) -> BatchRecord:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResultsFileError(
            f"{path}: line {number} is not valid JSON ({exc}); it was not written by a batch or the "
            "file was edited. Remove that line (its item will be asked again) and resume",
            path=str(path),
        ) from None
    if not isinstance(value, dict) or not isinstance(value.get("source"), str):
        raise ResultsFileError(
            f"{path}: line {number} is not a batch record (expected a JSON object with a "
            f'"source" string, found {type(value).__name__}). Remove that line and resume',
            path=str(path),
        )
    value.setdefault("question", "")
    return cast(BatchRecord, value)


def _split_complete(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines (without newlines) and the torn tail after the last newline."""
    cut = data.rfind(b"\n") + 1
    lines = data[:cut].split(b"\n")[:-1] if cut else []
    return lines, data[cut:]


def _records(lines: list[bytes], *, path: Path) -> Iterator[BatchRecord]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield _parse_line(line, number=number, path=path)


def read_results(path: str | os.PathLike[str]) -> list[BatchRecord]:
    """Read a results file written by a batch, in file (completion) order.

    A torn last line (a batch killed mid-write) is ignored; the file is not modified.
    Sort by ``record["index"]`` for input order.
    """
    check_path(path, option="path", none=False)
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ResultsFileError(
            f"{p}: no such results file (looked in {p.resolve().parent}); check the path — it is "
            "the results_path a batch wrote to (`mimo-audio batch -o`)",
            path=str(p),
        ) from None
    except IsADirectoryError:
        raise ResultsFileError(
            f"{p} is a folder, not a results file; pass the .jsonl file a batch wrote", path=str(p)
        ) from None
    except OSError as exc:
        raise ResultsFileError(
            f"{p}: cannot read this results file ({exc.strerror or exc}); check its permissions",
            path=str(p),
        ) from exc
    lines, _tail = _split_complete(data)
    return list(_records(lines, path=p))


@dataclass(frozen=True)
class ResumeState:
    """Where a batch stands in its results file, read without changing it."""

    pending: tuple[int, ...]
    """Indexes of the items a resumed run would ask (not in the file, or failed with ``retry_failed``)."""
    done: int
    """Items the file holds an answer or a kept failure for."""
    failed_before: int
    """Of ``done``, the items whose record is a failure (0 with ``retry_failed``: they run again)."""
    other_questions: int
    """Records in the file for another question (kept; items are matched by source and question)."""


def resume_state(
    path: str | os.PathLike[str], sources: Sequence[str], question: str, *, retry_failed: bool = False
) -> ResumeState:
    """What ``resume=True`` (or ``retry_failed=True``) would skip and ask, for ``sources`` named as
    the batch names them. A missing file means everything is pending."""
    check_path(path, option="path", none=False)
    if not Path(path).exists():
        return ResumeState(tuple(range(len(sources))), 0, 0, 0)
    records = read_results(path)
    kept = {  # the last record of an item wins, as when the batch reads the file
        record_key(r): r for r in records if not (retry_failed and r.get("error") is not None)
    }
    earlier = [find_record(kept, s, question, file_identity(s)) for s in sources]
    return ResumeState(
        pending=tuple(i for i, r in enumerate(earlier) if r is None),
        done=sum(r is not None for r in earlier),
        failed_before=sum(r is not None and r.get("error") is not None for r in earlier),
        other_questions=sum(r["question"] != question for r in records),
    )


def find_record(
    done: dict[ItemKey, BatchRecord], source: str, question: str, file: FileIdentity | None
) -> BatchRecord | None:
    """The record of an item: by its file's identity, else (records of older versions) by its source."""
    found = done.get(item_key(source, question, file))
    if found is None and file is not None:
        found = done.get(item_key(source, question))
    return found


class ResultsFile:
    """An open results file: ``done`` holds the records already in it, ``append`` adds one.

    ``resume=False`` refuses an existing non-empty file unless ``overwrite=True``.
    ``retry_failed=True`` resumes too, but first rewrites the file (atomically) without the
    records of failed items, so those items run again.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        resume: bool = False,
        overwrite: bool = False,
        retry_failed: bool = False,
    ) -> None:
        self.path = Path(path)
        self.done: dict[ItemKey, BatchRecord] = {}
        self.repaired_bytes = 0
        """How many bytes of a torn last line were cut off when the file was opened."""
        self.dropped_failed = 0
        """How many failed records ``retry_failed`` removed."""
        resume = resume or retry_failed
        if self.path.is_dir():
            raise ResultsFileError(
                f"{self.path} is a folder: the results go to a file, e.g. {self.path / 'results.jsonl'}",
                path=str(self.path),
            )
        existing = self.path.exists() and self.path.stat().st_size > 0
        if existing and not (resume or overwrite):
            raise ResultsFileError(
                f"{self.path} already exists: pass resume=True (--resume) to skip the items it "
                "holds, overwrite=True (--overwrite) to start over, or choose another path",
                path=str(self.path),
            )
        if self.path.parent != Path() and not self.path.parent.is_dir():
            raise ResultsFileError(
                f"{self.path}: the folder {self.path.parent} does not exist; create it first",
                path=str(self.path),
            )
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        try:
            self._fd: int | None = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise self._os_error(exc, "cannot open it for writing") from exc
        try:
            self._lock()
            self._remove_leftover()
            if overwrite and not resume:
                os.ftruncate(self._fd, 0)
            self._load()
            if retry_failed:
                self._drop_failed()
            os.fsync(self._fd_or_raise())
            _fsync_dir(self.path.parent)
        except OSError as exc:  # /dev/full, a FIFO, a filesystem that cannot fsync: name the file
            self.close()
            raise self._os_error(exc, "cannot use it as the results file") from exc
        except BaseException:
            self.close()
            raise

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows: no advisory lock
            return
        try:
            fcntl.flock(self._fd_or_raise(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResultsFileError(
                f"{self.path} is being written by another running batch; wait for it to finish "
                "or choose another path",
                path=str(self.path),
            ) from None

    def _os_error(self, exc: OSError, doing: str) -> ResultsFileError:
        why = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = f"the folder {self.path.parent.resolve()} is not writable here: choose another path (-o)"
        elif exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            fix = "free some space (or raise the quota/file-size limit)"
        elif not self.path.is_file():
            fix = "the results go to a regular file (not a device or a pipe): choose another path (-o)"
        else:
            fix = "fix that"
        return ResultsFileError(f"{self.path}: {doing} ({why}); {fix}", path=str(self.path))

    def _temporary(self) -> Path:
        return self.path.with_name(f".{self.path.name}.retry-failed.tmp")

    def _remove_leftover(self) -> None:
        """A ``retry_failed`` rewrite killed midway leaves its temporary file: remove it (under the lock)."""
        try:
            self._temporary().unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # pragma: no cover - a folder we can write the file in but not unlink
            raise self._os_error(exc, f"cannot remove the leftover {self._temporary().name}") from exc

    def _load(self) -> None:
        fd = self._fd_or_raise()
        size = os.fstat(fd).st_size
        data = _read_all(fd, size)
        lines, tail = _split_complete(data)
        records = list(_records(lines, path=self.path))
        if tail.strip():
            try:
                records.append(_parse_line(tail, number=len(lines) + 1, path=self.path))
                os.write(fd, b"\n")  # a whole record that only lacked its newline: keep it
            except ResultsFileError:
                os.ftruncate(fd, size - len(tail))  # torn by a kill: its item runs again
                self.repaired_bytes = len(tail)
        elif tail:
            os.ftruncate(fd, size - len(tail))
        for record in records:
            self.done[record_key(record)] = record

    def _drop_failed(self) -> None:
        """Replace the file by one without failed records; a kill midway leaves either file whole."""
        failed = [key for key, record in self.done.items() if record.get("error") is not None]
        if not failed:
            return
        for key in failed:
            del self.done[key]
        temporary = self._temporary()
        try:
            with open(temporary, "wb") as f:
                f.write(b"".join(_line(record) for record in self.done.values()))
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise self._os_error(exc, "cannot rewrite it without the failed records") from exc
        _fsync_dir(self.path.parent)
        old, self._fd = (
            self._fd_or_raise(),
            os.open(self.path, os.O_RDWR | os.O_APPEND | getattr(os, "O_BINARY", 0)),
        )
        try:
            self._lock()
        finally:
            os.close(old)
        self.dropped_failed = len(failed)

    def _fd_or_raise(self) -> int:
        if self._fd is None:
            raise ResultsFileError(f"{self.path}: the results file is closed", path=str(self.path))
        return self._fd

    def append(self, record: BatchRecord) -> None:
        """Write one record as one line, then fsync: it survives a kill from here on.

        A write that fails (a full disk, a file-size limit) is cut back off the file, which
        keeps only whole records, and raises :class:`ResultsFileError` (the ``OSError`` as
        its cause).
        """
        fd = self._fd_or_raise()
        data = memoryview(_line(record))
        size = os.fstat(fd).st_size
        try:
            while data:
                written = os.write(fd, data)
                data = data[written:]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # resume cuts a torn last line anyway
                os.ftruncate(fd, size)  # no half line left behind
            raise self._os_error(exc, "could not write a result to it") from exc
        self.done[record_key(record)] = record

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # also drops the flock

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


COST_DECIMALS = 9
"""Costs are written rounded to 1e-9 USD: ``2.632e-05``, not ``2.6320000000000002e-05``."""


def rounded_costs(value: Any) -> Any:
    """``value`` with every float under a ``*_usd`` key rounded to :data:`COST_DECIMALS` (a copy)."""
    if isinstance(value, dict):
        return {
            k: round(v, COST_DECIMALS)
            if isinstance(k, str) and k.endswith("_usd") and isinstance(v, float)
            else rounded_costs(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [rounded_costs(v) for v in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _line(record: BatchRecord) -> bytes:
    """One JSON line of valid UTF-8; costs rounded here only, the record in memory keeps the exact sums.

    A lone surrogate (a file name that is not UTF-8, kept by ``surrogateescape``) becomes a
    ``\\udcXX`` JSON escape: ``json.loads`` gives back the very same ``str``.
    """
    text = json.dumps(rounded_costs(record), ensure_ascii=False, allow_nan=False)
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return (text + "\n").encode()


def _read_all(fd: int, size: int) -> bytes:
    """The file's first ``size`` bytes (``os.pread`` is POSIX-only; appends ignore the offset)."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while size > 0 and (chunk := os.read(fd, size)):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _fsync_dir(folder: Path) -> None:
    """Make a newly created file's directory entry durable (POSIX; a no-op elsewhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse
        pass
    finally:
        os.close(fd)
