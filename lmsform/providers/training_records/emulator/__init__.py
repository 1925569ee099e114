"""The Training Records API as a Flask app: the one resource of the seed, over one SQLite state file.

Paths, bodies and shapes follow the vendor notes (`docs/vendors/training-records.md`); every
decision in it is implemented, with Django REST Framework's conventions wherever the reference leaves
a gap (training-records.md Errors). Each module's docstring records the choices it makes on top.

Served under the `prefix` option (default: the root), with HTTP Basic auth:

* records (`records`): `GET|POST /training/record/`,
  `GET|PUT|PATCH|DELETE /training/record/{api_id}/`.

Test hooks without credentials live under `/_emulator/` (`hooks`): state, reset, seed, people,
packages, requests. People and packages, which the vendor keeps in sibling APIs, are registries the
hooks fill (`registry_store`).

Decisions taken beyond the reference:

* Authentication is DRF's `BasicAuthentication`: another scheme counts as no credentials, malformed
  Basic headers get DRF's messages, an empty username or key never passes (not even with
  `api_key=None`), and it runs before the method check and the record lookup.
* Bodies must be `application/json` (else 415, DRF's message); an empty body is `{}`. A body that is
  not a JSON object answers DRF's `non_field_errors` 400. Unknown fields are ignored.
* Validation reports every failing field at once, in DRF's words ("This field is required.", "This
  field may not be null.", "This field may not be blank.", "Not a valid string."); numbers are not
  taken as strings.
* A client `api_id` is a DRF slug (letters, digits, `_`, `-`) of at most 255 characters, so it always
  fits in a path; `null` on create means "generate". On PUT/PATCH a `null` `api_id` is a change (400).
* Dates: a bare date is midnight UTC and no offset means UTC; fractional seconds that a client sends
  are kept and answered with six digits; `date_assigned` is to the whole second.
* `package_desc` is copied again only when `package_api_id` changes to another package.
* `search` works as DRF's `SearchFilter`: terms split on white space and commas, each must match one of
  the four fields, case-folded (so it is case-insensitive beyond ASCII).
* `limit=0` answers 400 (DRF would silently not page); `offset` without `limit` is checked but not
  applied; `next`/`previous` carry the query parameters sorted by name, as DRF writes them.
* Listing is in creation order; generated ids are random, not counted.
* `HEAD` works as `GET`, `OPTIONS` answers DRF's metadata, every record-path answer carries `Allow`;
  unknown paths answer 404 `{"detail": "Not found."}`, crashes 500 `{"detail": …}`.
* People and packages are upserted by `api_id` and never deleted but by reset; records keep their
  copy of a package's description when the package changes.
* Request counts live in memory (not in the state file), count failed requests too, and are cleared by
  reset; test hooks are never under the prefix.

Other modules: `app` (routing, transactions, errors), `auth`, `errors`, `requests_in` (bodies and
query values), `record_fields` (the rules for written fields, shared with seeding), `paging`, `dates`,
`seeding`, `options`, `context` (what routes share: the store, options and request counts), `factory`
(the registry's entry and the sandbox's people and packages), and `record_store` and `registry_store`
behind `store`. The Flask pieces, faults and SQLite plumbing come from `lmsform.providers.emulation`.
"""

from lmsform.providers.training_records.emulator.app import create_app, emulator_store
from lmsform.providers.training_records.emulator.options import TrainingRecordsEmulatorOptions
from lmsform.providers.training_records.emulator.seeding import seed
from lmsform.providers.training_records.emulator.store import TrainingRecordsStore

__all__ = ["TrainingRecordsEmulatorOptions", "TrainingRecordsStore", "create_app", "emulator_store", "seed"]
