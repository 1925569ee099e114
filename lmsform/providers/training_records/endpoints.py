"""The Training Records API's endpoints, as its document lists them (it has no machine-readable
spec), and what lmsform does with each (see lmsform.providers.endpoints; docs/coverage.md is generated
from this)."""

from __future__ import annotations

from lmsform.kinds import ENROLLMENTS
from lmsform.plan import Action
from lmsform.providers.endpoints import VendorEndpoints

_RECORDS = "/training/record/"
_RECORD = "/training/record/{api_id}/"

ENDPOINTS = VendorEndpoints(
    # training-records.md Records: list, create, read, PUT, PATCH and DELETE of a record.
    documented=(
        f"GET {_RECORDS}",
        f"POST {_RECORDS}",
        f"GET {_RECORD}",
        f"PUT {_RECORD}",
        f"PATCH {_RECORD}",
        f"DELETE {_RECORD}",
    ),
    calls={
        (ENROLLMENTS.name, Action.CREATE): (f"POST {_RECORDS}", f"GET {_RECORD}"),
        (ENROLLMENTS.name, Action.UPDATE): (f"PATCH {_RECORD}",),
        (ENROLLMENTS.name, Action.DELETE): (f"DELETE {_RECORD}",),
    },
)
