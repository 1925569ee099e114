"""Versal's Partner API as a Flask app: all 16 operations of the spec, over one SQLite state file.

Paths, bodies and shapes follow the vendor notes (`docs/vendors/versal.md`) and, where the two
differ, Versal's Swagger 2.0 file (`tests/oracles/versal-swagger.json`); every decision of the
vendor notes is implemented. Each module's docstring records the choices it makes on top.

Served under `/api2`, with a `SID` header (an API key or a user session):

* sessions (`sessions`): `POST /sessions`, `GET /user`, `PUT /users/{userId}`;
* org membership (`org_users`): `POST /orgs/{orgId}/users`, `DELETE|PUT /orgs/{orgId}/users/{userId}`,
  `POST /orgs/{orgId}/delete_users`, `GET /orgs/{orgId}/members`;
* courses, seeded only (`courses`): `GET /courses`, `GET /courses/{courseId}`,
  `GET /catalogs/staged/courses/{courseId}`;
* course learners (`learners`): `PATCH /courses/{courseId}/users/{userId}`,
  `GET /courses/{courseId}/userdata`;
* gadgets (`gadgets`): `GET /courses/{courseId}/gadgets/{gadgetId}/config`, its
  `/catalogs/staged/…` twin, `GET /courses/{courseId}/lessons/{lessonId}/gadgets/{gadgetId}/userdata`.

Test hooks without a `SID` live under `/_emulator/` (`hooks`): state, reset, seed, faults, requests.

Decisions taken beyond the reference:

* E-mails are unique ignoring case. `PUT /users/{userId}` with `""` clears a profile field.
* `page` below 1 or not an integer answers 400, like `perPage`.
* Known paths with another method answer 405 (`Error_View_Model`); unknown paths 404.
* One revision per course: the sandbox and published views show the same content; the staged
  endpoints answer 404 for a course never published, and the staged course comes with lessons and
  gadgets (it takes no `depth`).
* Sessions see published courses and those they can edit (org admins: all); only editing sessions
  see gadgets' private config fields; non-editing sessions see only their own gadget user data.
* Removing a user from an org also clears its gadget user data in the org's courses and ends its
  sessions in that org.
* `POST /sessions` with both `userId` and `email` goes by `userId`.
* Injected faults and request counts are kept in memory (not in the state file).

Other modules: `app` (routing, faults, transactions, errors), `auth` (the `SID`), `access` (which org
and course a caller may reach), `errors`, `requests_in` (body, path and query parsing), `paging`,
`dates`, `shapes` (response objects), `user_rules` (shared by routes and seeding), `seeding`,
`context` (what the areas share: the store, options, faults and counts), `options`, `factory` (the
registry's entry and the sandbox's courses), and one `…_store` module per area behind `store`. The
Flask pieces, faults and SQLite plumbing come from `lmsform.providers.emulation`.
"""

from lmsform.providers.versal.emulator.app import create_app, emulator_store
from lmsform.providers.versal.emulator.options import VersalEmulatorOptions
from lmsform.providers.versal.emulator.seeding import seed
from lmsform.providers.versal.emulator.store import VersalStore

__all__ = ["VersalEmulatorOptions", "VersalStore", "create_app", "emulator_store", "seed"]
