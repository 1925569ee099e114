"""The Training Records provider: training records (who was assigned, started and completed which
package) as enrollments; people and packages only named, since their APIs are not part of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from requests.auth import AuthBase

from lmsform.kinds import COURSES, ENROLLMENTS, USERS
from lmsform.project_config import ManageConfig
from lmsform.providers.base import ApiProvider, KindSupport, ProviderSettings, Removal
from lmsform.providers.http import HttpClient
from lmsform.providers.training_records import endpoints, operations
from lmsform.providers.training_records.client import TrainingRecordsClient, make_auth
from lmsform.providers.training_records.operations import vendor_date
from lmsform.providers.training_records.reader import read_state
from lmsform.providers.training_records.settings import TrainingRecordsSettings
from lmsform.specs import CourseSpec, UserSpec
from lmsform.state import State

_PEOPLE = (
    "Training Records keeps only records: people live in the vendor's Directory API, so a users entry "
    "only names a person (email and api_id)"
)
_PACKAGES = (
    "Training Records keeps only records: packages live in the vendor's Training Packages API, so a "
    "courses entry only names a package (title and api_id)"
)
_NO_GROUPS = "the Training Records API has no groups"


def same_moment(declared: Any, live: Any) -> bool:
    """A declared date matches any time on that day (UTC); a declared instant must match exactly."""
    if declared is None or live is None:
        return bool(declared == live)
    if len(declared) == len("2024-01-31"):
        return bool(live[:10] == declared)
    return bool(vendor_date(declared) == live)


def _refused(spec: type[UserSpec] | type[CourseSpec], allowed: set[str], reason: str) -> dict[str, str]:
    return {name: reason for name in spec.model_fields if name not in allowed}


class TrainingRecordsProvider(ApiProvider[TrainingRecordsSettings, TrainingRecordsClient]):
    name: ClassVar[str] = "training-records"
    title: ClassVar[str] = "Training Records"
    settings_model: ClassVar[type[ProviderSettings]] = TrainingRecordsSettings
    supports: ClassVar[Mapping[str, KindSupport]] = {
        USERS.name: KindSupport(
            fields=frozenset({"email", "api_id"}),
            key=("api_id",),
            names_only=True,
            unsupported_fields=_refused(UserSpec, {"email", "api_id"}, _PEOPLE),
        ),
        COURSES.name: KindSupport(
            fields=frozenset({"api_id"}),
            required=frozenset({"api_id"}),
            names_only=True,
            unsupported_fields=_refused(CourseSpec, {"title", "api_id"}, _PACKAGES),
        ),
        ENROLLMENTS.name: KindSupport(
            fields=frozenset({"started", "completed"}),
            relations=frozenset({"course", "users"}),
            removal=Removal.DELETE,
            removal_note="deletes the training record (and any older records of the same person and package)",
            readback={"started": same_moment, "completed": same_moment},
            unsupported_fields={
                "path": "Training Records has no learning paths: name a package with `course:`",
                "plan": "Training Records has no plans: name a package with `course:`",
                "groups": _NO_GROUPS,
                "active": "a training record has no active flag: leave it out with "
                "`manage.enrollments: authoritative` to delete it",
                "expires_at": "training records have no expiry",
                "starts_at": "say when a person started with `started`",
                "grace_period": "training records have no grace period",
                "grace_period_unit": "training records have no grace period",
                "role": "training records have no roles",
                "tracked": "every training record is tracked",
            },
        ),
    }
    unsupported_kinds: ClassVar[Mapping[str, str]] = {
        "groups": "its API has no groups",
        "supervisors": "its API has no supervisors or reporting lines",
        "webhooks": "its API has no webhooks",
        "sessions": "its API has no instructor-led sessions",
        "instructors": "its API has no instructor-led sessions, so no instructors",
        "paths": "Training Records has no learning paths: name each package with `course:`",
        "domain": "its API has no settings of the account to change",
    }
    enrollment_targets: ClassVar[Mapping[str, str]] = {"course": "package"}

    OPERATIONS = operations.OPERATIONS
    ENDPOINTS = endpoints.ENDPOINTS
    HEADERS: ClassVar[Mapping[str, str]] = {"Content-Type": "application/json"}

    def authentication(self, credential: str) -> AuthBase:
        return make_auth(self.settings.auth, self.settings.username or "lmsform", credential)

    def connect(self, http: HttpClient) -> TrainingRecordsClient:
        return TrainingRecordsClient(
            http, page_size=self.settings.page_size, parallelism=self.settings.parallelism
        )

    def read_state(self, desired: State, manage: ManageConfig, *, everything: bool) -> State:
        return read_state(self.client, desired, everything=everything)
