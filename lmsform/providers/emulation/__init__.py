"""What every vendor's emulator is built from, and how lmsform finds a vendor's emulator.

* `server`: serves an emulator's WSGI app over HTTP on loopback, records every exchange and injects
  network faults;
* `faults`: those faults (random chaos and scripted rules), the same for every vendor;
* `sqlite`: the SQLite plumbing every emulator's store builds on;
* `flask_kit`: the Flask pieces every emulator's app repeats (API areas, route registration, JSON
  answers, the store behind an app, request counts per route);
* `registry`: a vendor's name → its emulator (`<vendor>/emulator/factory.py`), so that nothing on the
  client side (providers, the planner, journals) imports an emulator.

Only tests, benchmarks, `lmsform emulator` and the built-in sandbox load this package.
"""
