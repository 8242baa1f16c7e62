"""mimo_client: arguments, then environment, then the default URL; key/host mismatch warnings."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import openai
import pytest

from mimo_openai_ext import KeyHostMismatchWarning, MissingAPIKeyError
from mimo_openai_ext._client import create_completion, mimo_async_client, mimo_client, resolve_connection
from mimo_openai_ext._retry import RetryPolicy, set_testing
from mimo_openai_ext.config import DEFAULT_BASE_URL

TOKEN_PLAN_URL = "https://token-plan-sgp.xiaomimimo.com/v1"


pytestmark = pytest.mark.usefixtures("no_mimo_env")


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIMO_API_KEY", "sk-from-env")
    monkeypatch.setenv("MIMO_BASE_URL", "http://127.0.0.1:9/v1")
    assert resolve_connection("sk-arg", "http://127.0.0.1:8/v1") == ("sk-arg", "http://127.0.0.1:8/v1")
    assert resolve_connection() == ("sk-from-env", "http://127.0.0.1:9/v1")


def test_default_base_url_and_stripped_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIMO_API_KEY", "  sk-abc\n")
    client = mimo_client()
    assert client.api_key == "sk-abc"
    assert str(client.base_url).rstrip("/") == DEFAULT_BASE_URL
    client.close()


def test_missing_key_names_both_routes() -> None:
    with pytest.raises(MissingAPIKeyError) as caught:
        mimo_client()
    message = str(caught.value)
    assert "api_key=" in message
    assert "MIMO_API_KEY" in message
    assert isinstance(caught.value, ValueError)


def test_blank_key_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIMO_API_KEY", "   ")
    with pytest.raises(MissingAPIKeyError):
        mimo_async_client()


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("tp-secret-123", DEFAULT_BASE_URL),
        ("ttp-secret-123", DEFAULT_BASE_URL),
        ("sk-secret-123", TOKEN_PLAN_URL),
    ],
)
def test_key_host_mismatch_warns_before_any_request_without_the_key(key: str, url: str) -> None:
    with pytest.warns(KeyHostMismatchWarning) as record:
        client = mimo_client(api_key=key, base_url=url)
    client.close()
    message = str(record[0].message)
    assert "401" in message
    assert "secret" not in message
    assert record[0].filename == __file__  # points at the caller's line


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("sk-ok", DEFAULT_BASE_URL),
        ("tp-ok", TOKEN_PLAN_URL),
        ("tp-ok", "http://127.0.0.1:8000/v1"),
        ("anything", DEFAULT_BASE_URL),
    ],
)
def test_matching_or_unknown_hosts_do_not_warn(key: str, url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mimo_client(api_key=key, base_url=url).close()


def test_extra_options_reach_the_sdk_client() -> None:
    client = mimo_client(api_key="sk-x", timeout=7.0, max_retries=0)
    assert client.max_retries == 0
    assert client.timeout == 7.0
    client.close()


def test_the_key_never_reaches_logs_or_errors(
    mimo_emulator: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "sk-very-secret-key-0123456789"
    caplog.set_level(logging.DEBUG)
    client = mimo_client(api_key=secret, base_url=mimo_emulator.base_url)
    with set_testing(True), pytest.raises(openai.AuthenticationError) as caught:
        create_completion(
            client,
            model="mimo-v2.6-flash",
            messages=[{"role": "user", "content": "hi"}],
            retry=RetryPolicy(attempts=2),
        )
    client.close()
    assert caught.value.status_code == 401
    text = str(caught.value) + "".join(getattr(caught.value, "__notes__", [])) + repr(caught.value.body)
    captured = capsys.readouterr()
    assert secret not in text
    assert secret not in caplog.text
    assert secret not in captured.out + captured.err
