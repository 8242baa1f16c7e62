"""The public surface: sorted, complete, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import mimo_openai_ext


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return (kind, name)


def test_all_is_sorted_and_unique() -> None:
    names = list(mimo_openai_ext.__all__)
    assert names == sorted(names, key=_isort_key)
    assert len(names) == len(set(names))


def test_all_names_exist() -> None:
    missing = [n for n in mimo_openai_ext.__all__ if not hasattr(mimo_openai_ext, n)]
    assert missing == []


def test_every_public_object_is_listed() -> None:
    public = {
        n for n, v in vars(mimo_openai_ext).items() if not n.startswith("_") and not isinstance(v, type(sys))
    }
    assert public - set(mimo_openai_ext.__all__) == set()


def test_import_loads_no_heavy_or_optional_modules() -> None:
    code = (
        "import sys\n"
        "import mimo_openai_ext\n"
        "heavy = ('av', 'IPython', 'tqdm', 'soundfile', 'mutagen', 'matplotlib', 'pandas')\n"
        "bad = [m for m in heavy if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
