"""Periodic gaits: fixed points of the apex-to-apex map and their Floquet multipliers (MODEL.md §9).

``steady`` (``solve_gait``: the general steady-gait solver, any free variables and targets,
one ``SteadyGait`` result with reasons; ``find_gait`` and ``solve_push_for_speed`` wrap it).
``apex_map`` (the map P, its Jacobian, the energy of an apex, the multipliers) -> ``newton``
(the damped Newton method) -> the solvers, one problem each: ``conservative``
(``find_gait_1d``: the 1-D map at fixed energy), ``periodic`` (``find_gait``,
``solve_push_for_speed``: losses and a push, exact Jacobian), ``push_fd`` (``solve_push_fd``:
forward steps only, any surface model), ``swing`` (``find_swing_gait``: the pendulum landing
mode). Built on ``engine.step.step``; batches run through ``engine.batch``.
"""
from simsrc.gait.apex_map import (apex_at_energy, apex_map, floquet_multipliers, gait_options,
                                  specific_energy_j_per_kg)
from simsrc.gait.conservative import Gait1D, find_gait_1d
from simsrc.gait.periodic import Gait, find_gait, solve_push_for_speed
from simsrc.gait.push_fd import PeriodicPush, solve_push_fd
from simsrc.gait.steady import (REASONS, RaibertPlacement, SteadyGait, controlled_run,
                                 solve_controlled, solve_gait)
from simsrc.gait.swing import SwingGait, find_swing_gait

__all__ = [
    "Gait", "Gait1D", "PeriodicPush", "REASONS", "RaibertPlacement", "SteadyGait", "SwingGait", "apex_at_energy", "apex_map",
    "find_gait", "find_gait_1d", "find_swing_gait", "floquet_multipliers", "gait_options",
    "controlled_run", "solve_controlled", "solve_gait", "solve_push_fd", "solve_push_for_speed", "specific_energy_j_per_kg",
]
