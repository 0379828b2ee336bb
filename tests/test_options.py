"""The one table of choices and defaults (dedup/_core/_options.py) agrees with every place that maps them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import dedup
from dedup._blocks import _segment as _blocks, _collapse
from dedup._core import _options
from dedup._indexing import _pipeline
from dedup._core._config import CollapseConfig, Config


def test_each_choice_maps_to_a_kernel_mode():
    assert tuple(_pipeline.SHINGLE_MODES) == _options.SHINGLES
    assert tuple(_blocks.UNITS) == _options.UNITS
    assert tuple(_collapse.MODES) == _options.MODES
    assert _options.REMOVABLE == tuple(k for k in dedup._blocks._decide.KINDS if k in _options.REMOVABLE)


def test_config_defaults_come_from_the_table():
    assert {k: v for k, v in Config().to_dict().items() if k in _options.INDEX} == _options.INDEX
    defaults = {f.name: f.default for f in dataclasses.fields(CollapseConfig)}
    assert defaults == _options.COLLAPSE
    for shingle in _options.SHINGLES:  # every choice is accepted, and the first is the default
        Config(shingle=shingle)
    for unit in _options.UNITS:
        for mode in _options.MODES:
            CollapseConfig(unit=unit, mode=mode)


def test_configs_import_neither_numpy_nor_numba():
    code = ("import sys, dedup._core._config, dedup._core._options; dedup._core._config.Config(); dedup._core._config.CollapseConfig(); "
            "print(sorted(m for m in ('numpy', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
