"""Benchmarks of lmsform against its vendor emulators: requests, wall time and memory, each next to the
floor the vendor's API forces (see `benchmarks.run`, `python -m benchmarks.run --help`)."""
