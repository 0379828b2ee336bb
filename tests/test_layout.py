"""The package's layout: rooms by stage, no import circle, no private name crossing a room (``check_layout.py``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests import check_layout

HERE = Path(__file__).resolve().parent


def test_the_package_has_no_circle_and_no_private_name_across_rooms():
    assert check_layout.problems() == []


def test_the_script_exits_nonzero_and_names_each_problem(tmp_path):
    pkg = tmp_path / "dedup"
    for room in ("_a", "_b"):
        (pkg / room).mkdir(parents=True)
        (pkg / room / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "_a" / "_x.py").write_text("from .._b._y import _hidden\n")
    (pkg / "_b" / "_y.py").write_text(textwrap.dedent("""
        _hidden = 1
        def f():
            from .._a import _x  # a function-level import closes the circle all the same
            return _x._private
    """))
    found = check_layout.problems(pkg)
    assert "dedup/_a/_x.py:1: private name _hidden taken from dedup._b._y" in found
    assert "dedup/_b/_y.py:5: private name _private used from dedup._a._x" in found
    assert "import circle: dedup._a._x -> dedup._b._y" in found
    # inside one room, private names are the room's own business
    (pkg / "_a" / "_x.py").write_text("from ._z import _inner\n")
    (pkg / "_a" / "_z.py").write_text("_inner = 2\n")
    (pkg / "_b" / "_y.py").write_text("")
    assert check_layout.problems(pkg) == []


def test_the_script_runs_on_its_own():
    p = subprocess.run([sys.executable, str(HERE / "check_layout.py")], capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stdout) == (0, "")
