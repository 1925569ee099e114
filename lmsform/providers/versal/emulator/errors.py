"""Every error the emulator answers: `Error_View_Model` `{"error": <status>, "message": <text>}`
(versal.md Errors).

`error` repeats the HTTP status. The messages follow the spec's response descriptions where it has
one for the case; clients key on the status only.
"""

from __future__ import annotations

from collections.abc import Mapping

from lmsform.providers.emulation import flask_kit


class ApiError(flask_kit.ApiError):
    """An HTTP error answered with an `Error_View_Model` body (and perhaps extra headers)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, {"error": status, "message": message}, headers)
        self.message = message


def bad_request(message: str = "Bad request") -> ApiError:
    return ApiError(400, message)


def invalid_credentials() -> ApiError:
    return ApiError(401, "Invalid credentials")


def permission_denied() -> ApiError:
    return ApiError(403, "Permission denied")


def insufficient_permissions() -> ApiError:
    return ApiError(403, "Insufficient permissions")


def not_found(message: str = "Not found") -> ApiError:
    return ApiError(404, message)


def no_such_path(method: str, path: str) -> ApiError:
    return ApiError(404, f"No endpoint {method} {path}")


def method_not_allowed(method: str, path: str) -> ApiError:
    return ApiError(405, f"Method {method} is not supported on {path}")


def server_error() -> ApiError:
    return ApiError(500, "Internal server error")
