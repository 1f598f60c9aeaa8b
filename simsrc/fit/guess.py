"""Start values for the fits, from the measured times and simple geometry (docs/fitting.md).

- leg stiffness: the Morin et al. (2005) sine-wave estimate k_leg from contact time, flight
  time, speed, leg length and mass (``simsrc.metrics.steps.morin_estimate``), within ~10-20 % of the
  fitted SLIP stiffness in the cases tried;
- landing angle: the foot lands half the stance distance ahead of the COM,
  L0 sin β = v t_c / 2, so α = 90° − asin(v t_c / (2 L0)) (level ground, no lean);
- apex height above the touchdown height: a symmetric flight of t_f rises g t_f²/8;
- flight time, when only a stance curve is known: a steady runner's vertical impulse per step
  is its weight times the step time, F̄_stance t_c = m g (t_c + t_f), so t_f = t_c (F̄/mg − 1).

The default runner for recordings that do not state mass or leg length is the built-in one
(configs/default.toml): 70 kg, leg 0.95 m. Leg length from standing height: 0.53 × height
(greater trochanter height, Winter 2009, Biomechanics and Motor Control of Human Movement,
Table 4.1 segment lengths: 0.530 H).
"""
from __future__ import annotations

import numpy as np

from simsrc.metrics.steps import morin_estimate
from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2

DEFAULT_MASS_KG = 70.0
DEFAULT_LEG_LENGTH_M = 0.95
LEG_LENGTH_PER_HEIGHT = 0.530


def leg_length_from_height_m(height_m):
    """Leg length (greater trochanter height) from standing height, m (Winter 2009)."""
    return LEG_LENGTH_PER_HEIGHT * np.asarray(height_m, dtype=float)


def _morin(mass_kg, leg_length_m, speed_m_per_s, contact_time_s, flight_time_s, gravity_m_per_s2):
    return morin_estimate(*(np.asarray(v, float) for v in (
        mass_kg, leg_length_m, speed_m_per_s, contact_time_s, flight_time_s)), gravity_m_per_s2)


def morin_leg_stiffness_n_per_m(mass_kg, leg_length_m, speed_m_per_s, contact_time_s,
                                flight_time_s, gravity_m_per_s2=STANDARD_GRAVITY_M_PER_S2):
    """Morin et al. (2005) leg stiffness k_leg = F_max/ΔL, N/m (NumPy)."""
    return np.asarray(_morin(mass_kg, leg_length_m, speed_m_per_s, contact_time_s,
                             flight_time_s, gravity_m_per_s2)[4])


def morin_vertical_stiffness_n_per_m(mass_kg, leg_length_m, speed_m_per_s, contact_time_s,
                                     flight_time_s, gravity_m_per_s2=STANDARD_GRAVITY_M_PER_S2):
    """Morin et al. (2005) vertical stiffness k_vert = F_max/Δy_c, N/m (NumPy)."""
    return np.asarray(_morin(mass_kg, leg_length_m, speed_m_per_s, contact_time_s,
                             flight_time_s, gravity_m_per_s2)[3])


def landing_angle_guess_rad(leg_length_m, speed_m_per_s, contact_time_s):
    """α = 90° − asin(v t_c / (2 L0)) in rad (the foot half a stance distance ahead)."""
    half = np.clip(np.asarray(speed_m_per_s, float) * np.asarray(contact_time_s, float)
                   / (2.0 * np.asarray(leg_length_m, float)), 0.0, 0.9)
    return 0.5 * np.pi - np.arcsin(half)


def apex_drop_guess_m(flight_time_s, gravity_m_per_s2=STANDARD_GRAVITY_M_PER_S2):
    """Height of a symmetric flight of ``flight_time_s`` above its ends, g t_f²/8, m (≥ 1 mm)."""
    tf = np.maximum(np.asarray(flight_time_s, float), 0.0)
    return np.maximum(gravity_m_per_s2 * tf**2 / 8.0, 1e-3)


def flight_time_from_impulse_s(mean_stance_force_bw, contact_time_s):
    """t_f = t_c (F̄/mg − 1) for a steady runner (≥ 0), s."""
    return np.maximum(np.asarray(contact_time_s, float)
                      * (np.asarray(mean_stance_force_bw, float) - 1.0), 0.0)
