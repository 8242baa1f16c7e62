"""MiMo's error body: ``{"error": {"code": "400", "message": ..., "param": <detail>, "type": ""}}``."""

from __future__ import annotations

import json

__all__ = ["STATUS_MESSAGES", "ApiError"]

STATUS_MESSAGES: dict[int, str] = {
    400: "Param Incorrect",
    401: "Invalid API Key",
    402: "Insufficient Balance",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    421: "Content Filtered",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
"""The short ``message`` per status; the human detail goes in ``param`` (as MiMo does)."""


class ApiError(Exception):
    """An error answer: status, MiMo-shaped body, and extra headers (``Retry-After``)."""

    def __init__(
        self,
        status: int,
        param: str,
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        error_type: str = "",
        close: bool = False,
    ) -> None:
        super().__init__(f"{status}: {param}")
        self.status = status
        self.param = param
        self.message = message or STATUS_MESSAGES.get(status, "Error")
        self.headers = headers or {}
        self.error_type = error_type
        self.close = close
        """Close the connection after answering (the body was not, or not wholly, read)."""

    def body(self) -> bytes:
        error = {
            "code": str(self.status),
            "message": self.message,
            "param": self.param,
            "type": self.error_type,
        }
        return json.dumps({"error": error}).encode()
