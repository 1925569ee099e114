"""Every error the emulator answers, with the bodies damstra.md Errors lists.

* 403 E806L `{"message","reason","internalCode":806,"error"}` for a missing or wrong `AccessKey`; the
  terse E806S `{"internalCode":806,"error":"Token not valid"}` on the endpoints damstra.md Errors lists (here:
  `GET /group`, `GET /group/{id}`, `GET /lesson`, `GET /lessondetails`).
* 403 E831 for forbidden role operations: adding or removing OWNER (7), inactivating it (damstra.md A4).
* 404 A6 for an unknown user, lesson or lesson version; lesson schedules use internalCode 840.
* 404 A7 (valid JSON, `error: true`, internalCode 842) for `GET /group/{id}` only; every other call
  naming an unknown or inactive group answers E842 `{"message","reason","internalCode":842,"statusCode"}`
  (decision: the doc documents E842 on the membership calls and nothing for update/inactivate).
* 404 G8 for unknown ids inside `userIds` (the A6 keys without `error`, as damstra.md G8 writes it).
* 400 A8 `{"message","reason","internalCode":400,"error","statusCode":400}` for every validation error.
* 409 `{"error","message"}` for a taken `userName` or an ambiguous bulk merge; `{"error"}` alone for a
  duplicate lesson schedule, as documented.
* Unknown paths 404 and wrong methods 405 with the A8 key set (decision: the doc shows neither).
* An unexpected failure inside the emulator answers HTTP 503 with the E500 body (damstra.md A5).
"""

from __future__ import annotations

from lmsform.providers.emulation.flask_kit import ApiError as ApiError


def invalid_access_key(*, terse: bool) -> ApiError:
    if terse:
        return ApiError(403, {"internalCode": 806, "error": "Token not valid"})
    return ApiError(
        403,
        {
            "message": "AccessKey does not exist",
            "reason": "Invalid access key",
            "internalCode": 806,
            "error": "Invalid security token",
        },
    )


def not_authorised() -> ApiError:
    return ApiError(403, {"internalCode": 831, "error": "You are not authorised to make this request"})


def not_found(kind: str, ident: int) -> ApiError:
    """A6: `kind` as it reads in a sentence, e.g. "User" or "Lesson version"."""
    return _a8_shaped(404, f"{kind} with id {ident} not found", f"{kind} not found", "Not found")


def schedule_not_found(ident: int) -> ApiError:
    return _a8_shaped(
        404,
        f"Lesson Schedule with id {ident} not found",
        "Lesson Schedule not found",
        "Lesson Schedule does not exist",
        internal_code=840,
    )


def group_lookup_failed() -> ApiError:
    """A7: `GET /group/{id}` for an unknown or inactive group."""
    return ApiError(
        404,
        {
            "message": "No group found for that Id",
            "reason": "No Group found",
            "error": True,
            "internalCode": 842,
            "statusCode": 404,
        },
    )


def group_not_found(ident: int) -> ApiError:
    """E842: every other call naming an unknown or inactive group."""
    return ApiError(
        404,
        {
            "message": f"Group with id {ident} not found",
            "reason": "Group not found",
            "internalCode": 842,
            "statusCode": 404,
        },
    )


def listed_user_not_found(ident: int) -> ApiError:
    """G8: an unknown id in a membership call's `userIds`."""
    return ApiError(
        404,
        {
            "message": f"User with id {ident} not found",
            "reason": "User not found",
            "internalCode": 404,
            "statusCode": 404,
        },
    )


def bad_request(message: str, *, error: str = "Bad Request") -> ApiError:
    """A8."""
    return _a8_shaped(400, message, "Invalid request", error)


def user_name_taken(user_name: str) -> ApiError:
    return ApiError(
        409, {"error": "User already exists", "message": f"userName {user_name} is already in use"}
    )


def ambiguous_merge(message: str) -> ApiError:
    return ApiError(409, {"error": "Ambiguous merge", "message": message})


def schedule_exists() -> ApiError:
    return ApiError(409, {"error": "Lesson Schedule already exists"})


def no_such_path(method: str, path: str) -> ApiError:
    return _a8_shaped(404, f"No endpoint {method} {path}", "Not found", "Not found")


def method_not_allowed(method: str, path: str) -> ApiError:
    return _a8_shaped(
        405, f"Method {method} is not supported on {path}", "Method not allowed", "Method Not Allowed"
    )


def server_error() -> ApiError:
    return ApiError(503, {"internalCode": 500, "error": "Internal Server Error"})


def _a8_shaped(
    status: int, message: str, reason: str, error: str, *, internal_code: int | None = None
) -> ApiError:
    """The A8 key set most errors answer with; `internalCode` repeats the status unless given."""
    body = {
        "message": message,
        "reason": reason,
        "internalCode": status if internal_code is None else internal_code,
        "error": error,
        "statusCode": status,
    }
    return ApiError(status, body)
