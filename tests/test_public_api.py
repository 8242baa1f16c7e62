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


def test_the_public_submodules_and_adapter_names_are_the_submodules_objects() -> None:
    from mimo_openai_ext import adapter

    assert mimo_openai_ext.mimo_http_client is adapter.mimo_http_client
    assert mimo_openai_ext.mimo_async_http_client is adapter.mimo_async_http_client
    assert mimo_openai_ext.AdapterOptions is adapter.AdapterOptions
    assert mimo_openai_ext.emulator.run_emulator is not None
    assert "proxy" in dir(mimo_openai_ext)


def test_a_moved_name_still_works_with_one_warning_per_use() -> None:
    import warnings

    from mimo_openai_ext.emulator import run_emulator

    scope: dict[str, object] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec("from mimo_openai_ext import run_emulator", scope)  # the import system asks twice
        assert scope["run_emulator"] is run_emulator
        assert mimo_openai_ext.run_emulator is run_emulator  # type: ignore[attr-defined]
    assert [w.category for w in caught] == [DeprecationWarning, DeprecationWarning]
    assert "mimo_openai_ext.emulator.run_emulator" in str(caught[0].message)
    assert caught[1].filename == __file__  # said at the user's line


def test_an_unknown_name_is_an_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="no_such_name"):
        mimo_openai_ext.no_such_name  # type: ignore[attr-defined]  # noqa: B018
