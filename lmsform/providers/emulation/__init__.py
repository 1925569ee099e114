"""What every vendor's emulator is built from, and how lmsform finds a vendor's emulator.

* `server`: serves an emulator's WSGI app over HTTP on loopback, records every exchange and injects
  network faults;
* `faults`: those faults (random chaos and scripted rules), the same for every vendor;
* `sqlite`: the SQLite plumbing every emulator's store builds on (transactions, ids, query helpers,
  `Conditions`, generic inserts and updates, the state dump);
* `flask_kit`: the Flask pieces every emulator's app repeats (the error type and the answers to unknown
  paths, wrong methods and crashes, the context and API areas, route registration, JSON bodies and
  their fields, JSON answers, the store behind an app, request counts per route);
* `registry`: a vendor's name → its emulator (`<vendor>/emulator/factory.py`), so that nothing on the
  client side (providers, the planner, journals) imports an emulator.

Only tests, benchmarks, `lmsform emulator` and the built-in sandbox load this package.
"""
