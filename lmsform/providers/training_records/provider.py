"""The Training Records provider: training records (who was assigned, started and completed which
package) as enrollments; people and packages only named, since their APIs are not part of it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from lmsform.errors import LmsformError
from lmsform.model import COURSES, ENROLLMENTS, USERS, ManageConfig
from lmsform.plan import Change
from lmsform.providers.base import ApplyContext, KindSupport, Provider, ProviderSettings, Removal
from lmsform.providers.http import HttpClient
from lmsform.providers.training_records.client import TrainingRecordsClient, make_auth
from lmsform.providers.training_records.operations import OPERATIONS, vendor_date
from lmsform.providers.training_records.reader import read_state
from lmsform.providers.training_records.settings import TrainingRecordsSettings
from lmsform.specs import CourseSpec, UserSpec
from lmsform.state import State

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# Who and what the sandbox's directory knows (the sibling People and Packages APIs of a real tenant).
SANDBOX_PEOPLE = (
    ("p-1001", "Ann Lee"),
    ("p-1002", "Raj Singh"),
    ("p-1003", "Mia Brown"),
    ("p-1004", "Tom Nguyen"),
    ("p-1005", "Zoe Clark"),
    ("p-1006", "Sam Patel"),
)
SANDBOX_PACKAGES = (
    ("pkg-fire-safety", "Fire safety awareness"),
    ("pkg-manual-handling", "Manual handling"),
    ("pkg-data-privacy", "Data privacy essentials"),
    ("pkg-first-aid", "First aid refresher"),
    ("pkg-code-of-conduct", "Code of conduct"),
)
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


class TrainingRecordsProvider(Provider):
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
    }
    enrollment_targets: ClassVar[Mapping[str, str]] = {"course": "package"}

    def __init__(self, settings: ProviderSettings, *, api_root: str, credential: str) -> None:
        assert isinstance(settings, TrainingRecordsSettings)
        self.settings = settings
        self.http = HttpClient.for_settings(
            settings,
            vendor=self.name,
            base_url=api_root,
            auth=make_auth(settings.auth, settings.username or "lmsform", credential),
            headers={"Content-Type": "application/json"},
        )
        self.client = TrainingRecordsClient(
            self.http, page_size=settings.page_size, parallelism=settings.parallelism
        )

    def read(self, desired: State, manage: ManageConfig) -> State:
        return read_state(self.client, desired)

    def read_all(self) -> State:
        return read_state(self.client, State(), everything=True)

    def execute(self, change: Change, context: ApplyContext) -> None:
        OPERATIONS[(change.kind, change.action)](self.client, change, context)

    def close(self) -> None:
        self.http.close()

    @classmethod
    def emulator_app(
        cls, state_path: Path, *, api_key: str | None, target: str | None, sandbox: bool = False
    ) -> WSGIApplication:
        from lmsform.providers.training_records.emulator import create_app, emulator_store, seed

        if target is not None and not sandbox:
            raise LmsformError("The Training Records emulator serves one organisation: it takes no target.")
        app = create_app(state_path, api_key=api_key)
        if sandbox:
            store = emulator_store(app)
            seed(
                store,
                {
                    "people": [{"api_id": api_id, "name": name} for api_id, name in SANDBOX_PEOPLE],
                    "packages": [
                        {"api_id": api_id, "description": text} for api_id, text in SANDBOX_PACKAGES
                    ],
                },
            )
        wsgi: WSGIApplication = app
        return wsgi
