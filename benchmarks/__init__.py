"""near-dups' benchmarks: the shared harness and one folder per suite.

Run from the repository root as ``python -m benchmarks.<suite>.<script>``
(pytest-benchmark suites: ``python -m pytest benchmarks/<suite>/...``). Which
command produced which figure of the README and the docs, and where its record lives: ``README.md``.
"""
