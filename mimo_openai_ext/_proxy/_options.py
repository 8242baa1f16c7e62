"""The proxy's settings, checked once: where to forward, which key, who may call."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .._adapter._rules import AdapterOptions
from .._checks import check_bool, check_count, check_seconds, check_str, check_type
from .._config import DEFAULT_BASE_URL
from .._exceptions import InvalidOptionError, MissingAPIKeyError

__all__ = ["DEFAULT_PROXY_PORT", "ProxyOptions", "is_loopback"]

DEFAULT_PROXY_PORT = 8766
"""``mimo-audio proxy``'s port (``mimo-audio serve``, the emulator, takes 8765)."""


def is_loopback(host: str) -> bool:
    """True for ``127.0.0.1``, ``::1``, ``localhost`` and the rest of 127.0.0.0/8."""
    check_str(host, option="host")
    if host.strip().lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ProxyOptions:
    """What ``mimo-audio proxy`` (``start_proxy``, ``create_app``) serves and forwards."""

    upstream: str = DEFAULT_BASE_URL
    """MiMo's base URL (``.../v1``): ``/v1/chat/completions`` goes to ``{upstream}/chat/completions``."""
    api_key: str | None = None
    """The MiMo key sent upstream. ``None``: the key each client sends (``Authorization``) is passed on."""
    proxy_key: str | None = None
    """The key clients must present (``Authorization: Bearer ...``); required off loopback."""
    adapter: AdapterOptions = field(default_factory=AdapterOptions)
    max_body_bytes: int = 200_000_000
    """Request bodies over this are refused (413) before they are read: four audio parts at MiMo's limit."""
    timeout_s: float = 600.0
    """Per upstream read (the openai SDK's default)."""
    access_log: bool = True
    """One ``mimo_openai_ext.proxy`` log line (INFO) per request: method, path, model, audio, tokens."""

    def __post_init__(self) -> None:
        check_str(self.upstream, option="upstream")
        if not self.upstream.startswith(("http://", "https://")):
            raise InvalidOptionError(
                f"upstream={self.upstream!r}: give MiMo's base URL, e.g. {DEFAULT_BASE_URL}",
                option="upstream",
            )
        check_str(self.api_key, option="api_key", none=True)
        check_str(self.proxy_key, option="proxy_key", none=True)
        check_type(self.adapter, AdapterOptions, option="adapter", expected="an AdapterOptions")
        check_count(self.max_body_bytes, option="max_body_bytes")
        check_seconds(self.timeout_s, option="timeout_s", minimum=0.001)
        check_bool(self.access_log, option="access_log")
        if self.proxy_key is not None and len(self.proxy_key) < 8:
            raise InvalidOptionError(
                "proxy_key is too short to guard anything (fewer than 8 characters); use a long random "
                "one, e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))'",
                option="proxy_key",
            )
        if self.proxy_key is not None and not self.api_key:
            raise MissingAPIKeyError(
                "a proxy_key means clients present it instead of a MiMo key, so the proxy needs the MiMo "
                "key itself: pass api_key= (`--api-key`) or set MIMO_API_KEY"
            )

    def check_host(self, host: str) -> None:
        """Binding anything but loopback needs a ``proxy_key`` (the stored key must not be open)."""
        if not is_loopback(host) and self.proxy_key is None:
            raise InvalidOptionError(
                f"host={host!r} is reachable from other machines, and the proxy would spend your MiMo key "
                "for anyone who can reach it: set a proxy_key (`--proxy-key`) that clients must present, "
                "or bind 127.0.0.1",
                option="host",
            )
