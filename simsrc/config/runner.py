"""One path from a config to a simulated run: load, convert to SI, choose the options, simulate.

Every command and script that runs a config's base point goes through here:

    config   = resolve_config("configs/slope.toml")   # a path, a Config, or None (built-in)
    inputs   = prepare_run(config)                   # SI Params, start State, one Options
    inputs, run = run_config(config, trajectory=True)   # ... and simulate its n_steps

The conversion is ``simsrc.config.load.base_point`` (config units -> SI ``Params`` and the apex
``State``); the numerical options are ``simsrc.config.load.numerical_options`` of that one point
(the ``[numerics]`` keys and the landing mode included); the simulation is
``simsrc.engine.simulate.simulate``. Sweeps use the same conversion point by point
(``simsrc.sweep.run``).
"""
from __future__ import annotations

import os
from typing import NamedTuple

from simsrc.config.load import (Config, base_point, default_config, load_config,
                                numerical_options)
from simsrc.engine.params import Params, State
from simsrc.engine.simulate import Run, simulate
from simsrc.engine.step import Options


class RunInputs(NamedTuple):
    """A config's base point, ready for ``simulate(params, state, n_steps, options=options)``.

    Attributes:
        config: the checked config (``n_steps`` is ``config.n_steps``).
        params: SI parameters of the base point (its tables, ignoring ``[sweep]``).
        state: the start state (apex height and speed of ``[initial]``).
        options: the numerical options of this point (``[numerics]``, landing mode).
    """

    config: Config
    params: Params
    state: State
    options: Options


def resolve_config(source: Config | str | os.PathLike | None = None) -> Config:
    """The config of ``source``: a ``Config`` as it is, a path loaded and checked
    (``load_config``), None the built-in default runner (``default_config``).

    Raises:
        SimsrcInputError: a missing file, bad TOML, or a bad key or value.
    """
    if source is None:
        return default_config()
    if isinstance(source, Config):
        return source
    return load_config(source)


def prepare_run(source: Config | str | os.PathLike | None = None) -> RunInputs:
    """Load (see ``resolve_config``), convert the base point to SI and choose its options.

    Raises:
        SimsrcInputError: a bad config, a parameter combination ``make_params`` refuses, or a
            ``surface_model`` that cannot simulate the ground.
    """
    config = resolve_config(source)
    params, state = base_point(config)
    return RunInputs(config, params, state, numerical_options(config.values, [params]))


def run_config(source: Config | str | os.PathLike | None = None, n_steps: int | None = None, *,
               trajectory: bool = False) -> tuple[RunInputs, Run]:
    """Simulate a config's base point: ``prepare_run`` then ``simulate``.

    Args:
        source: a ``Config``, a config path, or None (the built-in runner).
        n_steps: steps to simulate (default: the config's ``n_steps``).
        trajectory: also return the dense trajectory samples (``Run.trajectory``).

    Returns:
        (the ``RunInputs`` simulated, the ``Run``: per-step records, final state, options).
    """
    inputs = prepare_run(source)
    steps = inputs.config.n_steps if n_steps is None else n_steps
    run = simulate(inputs.params, inputs.state, steps, options=inputs.options,
                   trajectory=trajectory)
    return inputs, run

