"""One contract case per provider: its emulator, a project for it, and a change to that project.

Every provider must pass the same contract (tests/providers/test_contract.py) against its own
emulator; a new provider adds its case here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from lmsform.providers import registry
from lmsform.providers.base import Provider
from tests.conftest import CANARY_KEY

CANARY = CANARY_KEY  # the `cli` fixture puts it in every vendor's key variable too


@dataclass(frozen=True)
class ContractCase:
    provider: str
    # lmsform.yaml's provider settings besides type and base_url (the key read from KEY_VARIABLE).
    settings: str
    key_variable: str
    files: dict[str, str]
    # The same project after a change that updates and removes objects.
    changed: dict[str, str]
    manage: str = ""
    # Objects the vendor's API cannot create but the project names (lessons, learning paths).
    seed: Callable[[str], None] = lambda url: None
    extra_env: dict[str, str] = field(default_factory=dict)
    # The key the emulator accepts, and a well-formed one it rejects (some vendors' keys are UUIDs).
    key: str = CANARY
    wrong_key: str = "not-the-right-key"

    @property
    def provider_class(self) -> type[Provider]:
        return registry()[self.provider]

    def config(self, api_root: str) -> str:
        manage = f"manage:\n{self.manage}" if self.manage else ""
        return f"provider:\n  type: {self.provider}\n  base_url: {api_root}\n{self.settings}{manage}"


def _seed_skilljar(url: str) -> None:
    seed = {
        "paths": [{"domain": "acme.skilljar.com", "slug": "onboarding", "title": "Onboarding"}],
        # Lessons are authored in the dashboard: the seed makes the one the session names.
        "courses": [{"title": "Crane operation", "lessons": ["Practical"]}],
        "signup_fields": [
            {"domain": "acme.skilljar.com", "label": "Department"},
            {
                "domain": "acme.skilljar.com",
                "label": "Site",
                "type": "PICKLIST",
                "options": ["North", "South"],
            },
        ],
        "access_codes": [{"domain": "acme.skilljar.com", "pool": "Crew", "code": "CREW-2026"}],
        "group_categories": ["Crews", "Contractors"],
    }
    requests.post(f"{url}/_emulator/seed", json=seed, timeout=10).raise_for_status()


_SKILLJAR_ILT = """
instructors:
  - email: ian@acme.com
sessions:
  - lesson: {course: Crane operation, lesson: Practical}
    starts_at: 2031-05-06T09:00:00Z
    ends_at: 2031-05-06T12:00:00Z
    display_name: Crane practical
    timezone: UTC
    instructor: ian@acme.com
    location: Yard 2
    capacity: 8
"""

SKILLJAR = ContractCase(
    provider="skilljar",
    settings="  domain: acme.skilljar.com\n  api_key: ${SKILLJAR_API_KEY}\n",
    key_variable="SKILLJAR_API_KEY",
    manage="  users: authoritative\n  memberships: authoritative\n  enrollments: authoritative\n",
    files={
        "people.yaml": """
users:
  - email: ann@acme.com
    first_name: Ann
    groups: [crew]
    expires_at: 2027-01-31T00:00:00Z
    access_code: CREW-2026
    attributes: {Department: Rigging}
  - email: bob@acme.com
    first_name: Bob
    groups: [crew]
  - email: cy@acme.com
    first_name: Cy
groups:
  - name: crew
    category: Crews
    rule_email_domains: [crew.example.com]
""",
        "learning.yaml": """
courses:
  - title: Site Safety
    short_description: Stay safe on site.
    published: true
enrollments:
  - course: Site Safety
    groups: [crew]
  - path: onboarding
    users: [cy@acme.com]
""",
        "paths.yaml": """
paths:
  - slug: crew-induction
    title: Crew induction
    courses: [Site Safety]
    labels: [Crew]
    tags: [Induction]
    visible_to: [crew]
""",
        "domain.yaml": "domain:\n  catalog_title: Acme Crew\n  access: PRIVATE\n",
        "ilt.yaml": _SKILLJAR_ILT,
        "catalogue.yaml": """
courses:
  - title: Rigging
    short_description: Lift loads safely.
    published:
      prerequisites: [Site Safety]
      prerequisite_groups: [crew]
      visible_to: [crew]
      reenrollment:
        starts_at: 2031-01-01T00:00:00Z
        cycle_duration: 12
        cycle_duration_unit: months
      tags: [Crew]
""",
    },
    changed={
        "domain.yaml": "domain:\n  access: PRIVATE_CODE\n",
        "ilt.yaml": _SKILLJAR_ILT.replace("capacity: 8", "capacity: 10").replace("Yard 2", "Yard 3"),
        "catalogue.yaml": """
courses:
  - title: Rigging
    short_description: Lift loads safely.
    published:
      prerequisites: []
      prerequisite_groups: []
      visible_to: []
      hidden_from: [crew]
      reenrollment:
        starts_at: 2031-01-01T00:00:00Z
        cycle_duration: 6
        cycle_duration_unit: months
      tags: [Crew, Lifting]
""",
        "paths.yaml": """
paths:
  - slug: crew-induction
    title: Crew induction, second edition
    hidden: true
    courses: []
    labels: []
    tags: [Induction, Crew]
    visible_to: []
    hidden_from: [crew]
""",
        "people.yaml": """
users:
  - email: ann@acme.com
    first_name: Annabel
    groups: [crew]
    expires_at: 2027-06-30T00:00:00Z
    access_code: null
    attributes: {Department: Lifting}
  - email: cy@acme.com
    first_name: Cy
    groups: [crew]
groups:
  - name: crew
    category: Contractors
    rule_email_domains: [rigging.example.com]
    sign_up_field_rule:
      answers: {Site: [North]}
      enforce: true
""",
    },
    seed=_seed_skilljar,
)


def _seed_damstra(url: str) -> None:
    seed = {
        "lessons": [
            {"name": "Site Induction", "status": "active"},
            {"name": "Fire Safety", "status": "active"},
        ]
    }
    requests.post(f"{url}/_emulator/seed", json=seed, timeout=10).raise_for_status()


DAMSTRA = ContractCase(
    provider="damstra",
    settings="  organisation: Acme Safety\n  access_key: ${DAMSTRA_ACCESS_KEY}\n",
    key_variable="DAMSTRA_ACCESS_KEY",
    manage="  users: authoritative\n  memberships: authoritative\n  group_supervisors: authoritative\n",
    files={
        "people.yaml": """
users:
  - username: ann.lee
    email: ann.lee@acme.com
    first_name: Ann
    last_name: Lee
    roles: [supervisor, trainee]
    groups: [crew-a]
    supervises: [crew-a]
  - username: bob.ray
    email: bob.ray@acme.com
    first_name: Bob
    last_name: Ray
    groups: [crew-a]
  - username: cy.ng
    email: cy.ng@acme.com
    first_name: Cy
    last_name: Ng
    groups: [crew-b]
groups:
  - name: site-perth
    description: The Perth site
  - name: crew-a
    parent: site-perth
  - name: crew-b
    parent: site-perth
""",
        "learning.yaml": """
enrollments:
  - course: Site Induction
    groups: [crew-a, crew-b]
  - course: Fire Safety
    users: [ann.lee]
""",
        "sessions.yaml": """
sessions:
  - lesson: Fire Safety
    starts_at: 2030-05-04T09:00:00+08:00
    ends_at: 2030-05-04T12:00:00+08:00
    instructor: ann.lee
    location: Perth depot
    capacity: 8
    attendees: [bob.ray, cy.ng]
""",
    },
    changed={
        "sessions.yaml": """
sessions:
  - lesson: Fire Safety
    starts_at: 2030-05-04T09:00:00+08:00
    ends_at: 2030-05-04T12:00:00+08:00
    instructor: ann.lee
    location: Perth yard
    capacity: 8
    attendees: [cy.ng]
""",
        "people.yaml": """
users:
  - username: ann.lee
    email: ann.lee@acme.com
    first_name: Ann
    last_name: Lee
    roles: [admin, supervisor]
    groups: [crew-a]
    supervises: [crew-a, crew-b]
  - username: cy.ng
    email: cy.ng@acme.com
    first_name: Cy
    last_name: Ng
    groups: [crew-a]
groups:
  - name: site-perth
    description: The Perth site
  - name: crew-a
    parent: site-perth
  - name: crew-b
    parent: site-perth
""",
    },
    seed=_seed_damstra,
)


def _seed_versal(url: str) -> None:
    seed = {"courses": [{"title": "Workplace Safety"}, {"title": "Customer Care"}]}
    requests.post(f"{url}/_emulator/seed", json=seed, timeout=10).raise_for_status()


VERSAL = ContractCase(
    provider="versal",
    settings="  organisation: 4242\n  api_key: ${VERSAL_API_KEY}\n",
    key_variable="VERSAL_API_KEY",
    key="ca4a1a7e-5eed-4c0d-9e11-0000c0ffee42",
    wrong_key="0b5e55ed-0000-4000-8000-000000000000",
    manage="  users: authoritative\n  enrollments: authoritative\n",
    files={
        "people.yaml": """
users:
  - email: ann@acme.com
    first_name: Ann
    last_name: Lee
    roles: [admin]
  - email: bob@acme.com
    first_name: Bob
    last_name: Ray
    roles: [learner]
  - email: cy@acme.com
    first_name: Cy
    roles: [instructor]
""",
        "learning.yaml": """
enrollments:
  - course: Workplace Safety
    users: [bob@acme.com, cy@acme.com]
  - course: Customer Care
    users: [ann@acme.com]
    role: publisher
    tracked: false
""",
    },
    changed={
        "people.yaml": """
users:
  - email: ann@acme.com
    first_name: Annabel
    last_name: Lee
    roles: [instructor]
  - email: cy@acme.com
    first_name: Cy
    roles: [member]
""",
        "learning.yaml": """
enrollments:
  - course: Workplace Safety
    users: [cy@acme.com]
  - course: Customer Care
    users: [ann@acme.com]
    role: author
    tracked: true
""",
    },
    seed=_seed_versal,
)


def _seed_training_records(url: str) -> None:
    seed = {
        "people": [{"api_id": f"p-{number}", "name": f"Person {number}"} for number in (1, 2, 3)],
        "packages": [
            {"api_id": "pkg-fire", "description": "Fire safety awareness"},
            {"api_id": "pkg-privacy", "description": "Data privacy essentials"},
        ],
    }
    requests.post(f"{url}/_emulator/seed", json=seed, timeout=10).raise_for_status()


TRAINING_RECORDS = ContractCase(
    provider="training-records",
    settings="  username: lmsform\n  api_key: ${TRAINING_RECORDS_API_KEY}\n",
    key_variable="TRAINING_RECORDS_API_KEY",
    manage="  enrollments: authoritative\n",
    files={
        "directory.yaml": """
users:
  - email: ann@acme.com
    api_id: p-1
  - email: bob@acme.com
    api_id: p-2
  - api_id: p-3
courses:
  - title: Fire safety
    api_id: pkg-fire
  - title: Data privacy
    api_id: pkg-privacy
""",
        "records.yaml": """
enrollments:
  - course: Fire safety
    users: [ann@acme.com, bob@acme.com]
    started: 2026-01-05
  - course: Data privacy
    users: [p-3]
    started: 2026-01-05T09:00:00+08:00
    completed: 2026-01-06T17:30:00+08:00
""",
    },
    changed={
        "records.yaml": """
enrollments:
  - course: Fire safety
    users: [ann@acme.com]
    started: 2026-01-05
    completed: 2026-01-09
  - course: Data privacy
    users: [p-3]
    started: 2026-01-05T09:00:00+08:00
    completed: null
""",
    },
    seed=_seed_training_records,
)

CASES = [SKILLJAR, DAMSTRA, VERSAL, TRAINING_RECORDS]


def case_ids(case: Any) -> str:
    return str(case.provider)


def write_project(root: Path, case: ContractCase, api_root: str, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "lmsform.yaml").write_text(case.config(api_root), encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text.lstrip("\n"), encoding="utf-8")
