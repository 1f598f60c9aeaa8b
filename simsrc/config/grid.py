"""The grid of a sweep: named axes, their product, and the parameter values at flat indices.

An ``Axis`` sets one config key (a plain axis) or several keys in lock-step (a zipped group).
The grid is the outer product of the axes in the order the config lists them; a point's flat
index is its C-order (row-major) index in that product, so chunk ``i`` of size ``c`` holds the
points ``i*c ... (i+1)*c - 1``. Values stay in config units (kN/m, degrees, preset names).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class Axis:
    """One dimension of a sweep.

    Attributes:
        name: dimension name: the key for a plain axis, the group name for a zipped group.
        keys: the config keys this axis sets (one for a plain axis).
        values: per key, its values along the axis (all of one length).
        specs: per key, the spec as written (a list, or a range table), for the resolved config.
        scale: ``"linear"``, ``"log"`` or ``"list"``: how figures space this axis.
    """

    name: str
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    specs: tuple[Any, ...]
    scale: str = "list"

    def __len__(self) -> int:
        return len(self.values[0])

    @property
    def zipped(self) -> bool:
        return len(self.keys) > 1 or self.name != self.keys[0]

    @property
    def numeric(self) -> bool:
        """True when the axis is one key of numbers (it can be drawn on a numeric scale)."""
        return not self.zipped and not isinstance(self.values[0][0], str)


def grid_shape(axes: Sequence[Axis]) -> tuple[int, ...]:
    return tuple(len(a) for a in axes)


def n_points(axes: Sequence[Axis]) -> int:
    return math.prod(grid_shape(axes))


def point_values(base: Mapping[str, Any], axes: Sequence[Axis], flat_index: np.ndarray) -> dict:
    """Config values at the given flat grid indices.

    Args:
        base: every key's value (scalars) where no axis sets it.
        axes: the grid axes.
        flat_index: 1-D integer array of flat indices into the grid.

    Returns:
        A dict key -> value: swept keys get a 1-D array (numbers as float64, names as str),
        the others keep their base scalar.
    """
    values = dict(base)
    if not axes:
        return values
    idx = np.unravel_index(np.asarray(flat_index), grid_shape(axes))
    for axis, i in zip(axes, idx):
        for key, vals in zip(axis.keys, axis.values):
            arr = np.asarray(vals, dtype=object if isinstance(vals[0], str) else float)
            values[key] = arr[i].astype(str) if arr.dtype == object else arr[i]
    return values
