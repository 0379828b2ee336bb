"""near-dups' tests: a package, so that test modules import their helpers (``tests.support``) by name.

Run from the repository root (``python -m pytest -q tests dedup README.md docs``).
"""
