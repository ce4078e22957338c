"""Benchmarks run by `make bench`, one module each (`python -m bench.<module>`); never run by `make test`."""
