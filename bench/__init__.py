"""Benchmarks at agency scale: ``python -m bench --scale tiny|small|default``.

Not part of the test suite. See bench/README.md.
"""
