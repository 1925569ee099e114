"""Damstra Learning's (formerly Velpic) Public REST API v2 as a Flask app, for the parts lmsform needs.

Paths, bodies and shapes follow the vendor notes (`docs/vendors/damstra.md`, from the vendor's
Apiary document); where the document is silent or contradicts itself the emulator does what the
vendor notes decide, and each module's docstring records the choices it makes on top. State lives in
a `DamstraStore` (SQLite), so an emulator can be stopped and restarted on the same file.

Served under `/api/v2`:

* users (`users`): `GET|POST /user`, `GET|POST /user/{id}`, `POST /user/{id}/activate|inactivate`;
  `POST /bulkUserImport` (`bulk_import`);
* groups (`groups`, `memberships`): `GET|POST /group`, `GET|POST /group/{id}`,
  `POST /group/{id}/inactivate`, `GET /group/{id}/member|supervisor`,
  `POST /group/{id}/add_members|remove_members|add_supervisors|remove_supervisors`;
* lessons (`lessons`, seeded only): `GET /lesson`, `GET /lessondetails`;
* lesson schedules (`schedules`): `GET|POST /user/{id}/lesson_schedule`, `GET /lesson_schedule/{id}`,
  `POST /lesson_schedule/{userId}/complete_lesson`.

Not emulated (404 like any unknown path): ILT sessions, certificates, the embedded player,
`generate_login_url`; webhooks are neither delivered nor configurable; no fault injection, key
rotation or no-permission keys (so 403 E831 arises only from the OWNER rules).

Test hooks without credentials live under `/_emulator/` (`hooks`). Other modules: `app` (routing,
errors), `auth` (the `AccessKey`), `context` (what the areas share), `errors`, `requests_in` (body and
query parsing), `paging`, `dates`, `shapes`/`schedule_shapes` (response objects),
`user_writes`/`schedule_writes`/`schedule_rules` (rules shared by routes and seeding), `seeding`,
`options`, `factory` (the registry's entry and the sandbox's lessons), `base_store` (ids) and one
`…_store` module per area behind `store`. The Flask pieces, faults and SQLite plumbing come from
`lmsform.providers.emulation`.
"""

from lmsform.providers.damstra.emulator.app import create_app, emulator_store
from lmsform.providers.damstra.emulator.options import DamstraEmulatorOptions
from lmsform.providers.damstra.emulator.seeding import seed
from lmsform.providers.damstra.emulator.store import DamstraStore

__all__ = ["DamstraEmulatorOptions", "DamstraStore", "create_app", "emulator_store", "seed"]
