"""Batches for host-driven solvers: one jitted, vmapped kernel over a flat, padded batch.

The gait solvers (``simsrc.gait``) and the fits (``simsrc.fit``) iterate on the host: each
iteration evaluates one kernel ``jit(vmap(fn))`` (a step and its derivatives for every element
of the batch) and does its bookkeeping (brackets, line searches, damping) in NumPy, elementwise
over the batch. Nesting the step in a ``lax`` loop would make a solver one pure function, but
XLA then takes 2-3 times longer to compile it on CPU, and the host loop stops as soon as the
whole batch is done.

- A batch is a flat leading axis of N elements, padded to ``padded_size(N)`` (a multiple of
  ``PAD`` = 8, at least 8) by repeating its last element, so that every batch of up to 8
  elements, a single one included, shares one compiled kernel (one per function, static
  arguments and padded size). The padded rows are computed and dropped.
- Kernels return tuples of scalars, stacked here on the host (``columns``): stacking the
  per-output derivatives inside the vmapped kernel (``jnp.stack``) made the batched derivative
  ~300 times slower on CPU (2.0 s against 7 ms for 256 strides; docs/fitting.md, "Solver").
"""
from __future__ import annotations

import functools

import jax
import numpy as np

from simsrc.engine import stored

#: Batches are padded to a multiple of this size.
PAD = 8


def padded_size(n: int) -> int:
    """Batch size ``n`` padded to a multiple of ``PAD`` (at least ``PAD``)."""
    return max(PAD, -(-n // PAD) * PAD)


def pad(tree, n_to: int):
    """Every leaf (NumPy, leading axis N) padded to ``n_to`` rows by repeating its last row;
    an empty batch stays empty."""
    def one(v):
        v = np.asarray(v)
        extra = n_to - v.shape[0]
        return v if extra == 0 else np.concatenate([v, np.repeat(v[-1:], extra, axis=0)])
    return jax.tree_util.tree_map(one, tree)


#: ``simulate`` and the sweeps pad a batch to one of a few sizes, so that a second sweep, a
#: resumed one and a smoke run reuse the program the first one compiled: powers of two from
#: ``BUCKET_MIN`` to ``BUCKET_MAX``, multiples of ``BUCKET_MAX`` above.
BUCKET_MIN = 64
BUCKET_MAX = 8192


def bucket_size(n: int, multiple: int = 1) -> int:
    """The compiled batch size for ``n`` elements (``n`` itself when 0), a multiple of
    ``multiple`` (the device count when a batch is split across devices)."""
    if n == 0:
        return 0
    if n <= BUCKET_MIN:
        size = BUCKET_MIN
    elif n <= BUCKET_MAX:
        size = 1 << (n - 1).bit_length()
    else:
        size = -(-n // BUCKET_MAX) * BUCKET_MAX
    return -(-size // multiple) * multiple


def step_bucket(n_steps: int) -> int:
    """The compiled step count for a single runner's ``n_steps`` (>= 1): the next of 1, 2, 5,
    10, 20, 50, 100, ... (``simulate`` runs that many steps and keeps the first ``n_steps``, so
    that ``simsrc run --steps N`` compiles one program per decade, not one per N; a single
    runner's extra steps cost microseconds, a compile seconds)."""
    decade = 1
    while True:
        for size in (decade, 2 * decade, 5 * decade):
            if size >= n_steps:
                return size
        decade *= 10


def broadcast_tree(tree, n: int):
    """Scalar leaves as float arrays (n,); other leaves must already have the leading axis n."""
    def one(v):
        v = np.asarray(v, dtype=float)
        return np.full((n,), float(v)) if v.ndim == 0 else v
    return jax.tree_util.tree_map(one, tree)


def flatten(*trees, padded: bool = True):
    """The leaves of ``trees`` as float64, broadcast to one batch shape, flattened to (N,) and
    padded (``pad``; not with ``padded=False``: a solver whose kernel calls pad on their own,
    such as the finite-difference gait solvers' ``simulate`` calls, would otherwise compute the
    copies, 8 for a single point); ``unflatten`` undoes it.

    Returns:
        (the tuple of trees, with NumPy leaves (N_padded,); the batch shape).
    """
    leaves, treedef = jax.tree_util.tree_flatten(trees)
    leaves = [np.asarray(v, dtype=np.float64) for v in leaves]
    shape = np.broadcast_shapes(*[v.shape for v in leaves])
    n = int(np.prod(shape, dtype=int))
    flat = [np.broadcast_to(v, shape).reshape(n) for v in leaves]
    flat = pad(flat, padded_size(n)) if padded else flat
    return jax.tree_util.tree_unflatten(treedef, flat), shape


def unflatten(values, shape) -> list[np.ndarray]:
    """Each (N_padded, ...) array of ``values`` without its padding, in the batch ``shape``."""
    n = int(np.prod(shape, dtype=int))
    return [np.reshape(np.asarray(v)[:n], tuple(shape) + np.shape(v)[1:]) for v in values]


@functools.lru_cache(maxsize=None)
def batched_kernel(fn, **static):
    """``jit(vmap(fn))`` with the keyword arguments ``static`` bound (hashable, not batched):
    one compiled kernel per (function, static arguments) and batch size, called through a
    stored program (``stored.call``) where the function and its static arguments have a name
    that is the same in every process (a module-level function; no object shown by address)."""
    jitted = jax.jit(jax.vmap(functools.partial(fn, **static)))
    name = f"{fn.__module__}.{fn.__qualname__}"
    described = repr(sorted(static.items()))
    if "<" in name or " at 0x" in described:
        return jitted
    return functools.partial(stored.call, name, described, jitted)


#: A fit kernel's rows per call above which it runs in calls of this many (``fit_rows``).
FIT_CHUNK = 32


def fit_rows(n: int) -> int:
    """Rows a fit kernel is called with for ``n`` curves x starts: the next power of two from
    ``PAD`` up to ``FIT_CHUNK``, above that a multiple of ``FIT_CHUNK`` (run in calls of
    ``FIT_CHUNK``: ``call_padded``), so that fits of 77 and 84 steps (4 starts each) share one
    program."""
    size = PAD
    while size < min(n, FIT_CHUNK):
        size *= 2
    return size if n <= FIT_CHUNK else -(-n // FIT_CHUNK) * FIT_CHUNK


def call_padded(kernel, n: int, *args):
    """``kernel(*args)`` for ``n`` rows (every leaf of ``args`` with the leading axis ``n``)
    padded to ``fit_rows(n)`` and called in calls of at most ``FIT_CHUNK`` rows; every output
    leaf fetched to the host (NumPy) and cut back to its ``n`` rows."""
    size = fit_rows(n)
    args = pad(args, size)
    step = min(size, FIT_CHUNK)
    parts = [jax.device_get(kernel(*jax.tree_util.tree_map(lambda v: v[a:a + step], args)))
             for a in range(0, size, step)]
    return jax.tree_util.tree_map(lambda *v: np.concatenate([np.asarray(x) for x in v])[:n],
                                  *parts)


def host(*xs) -> list[np.ndarray]:
    """Kernel outputs fetched to the host as NumPy arrays."""
    return [np.asarray(x) for x in jax.device_get(xs)]


def columns(x) -> np.ndarray:
    """(N, m) from an array (N, m) or from a tuple of m arrays (N,) (a kernel's output)."""
    if isinstance(x, (tuple, list)):
        return np.stack([np.asarray(c) for c in x], axis=-1)
    return np.asarray(x)
