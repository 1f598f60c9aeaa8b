"""The ground under the foot: a massless contact point in series with the leg (docs/physics.md §2).

The surface is written in *compliance* form, C = 1/k_s (m/N), so that the rigid ground is the
ordinary value C = 0 rather than an infinite stiffness, and a stiffer and stiffer surface tends
continuously to the rigid result.

Elastic-plastic law with restitution r (F_max: the peak surface force so far in this stance):

    loading   (F >= F_max):  z = C F
    unloading (F <  F_max):  z = C ((1 - r) F_max + r F)

so the sink at a given force is ``z = C * unloaded_force(F, F_max, r)`` with
``unloaded_force = max(F, (1 - r) F_max + r F)``, and the same law read from the sink is
``C F = compliance_times_force_m(z, z_max, r)``. Unloading is stiffer (k_s / r), returns the
fraction r of the stored energy ½ C F_max² (``stored_energy``), loses the rest
(``plastic_loss_j``) and leaves a footprint (1 - r) C F_max (``footprint_m``).
This module is the only place that writes the law; the stance models, the step's energy
totals, the ledger and the energy series call it.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp


class SurfacePreset(NamedTuple):
    """Numbers of a named surface and where they come from."""

    stiffness_n_per_m: float
    damping_n_s_per_m: float
    restitution: float
    description: str
    source: str
    #: None: the numbers are the surface's own. A mass: the surface is granular, its
    #: resistance is per unit foot area, and stiffness and damping are those under the foot of
    #: a runner of this mass; a runner of mass m gets them times (m / this)^(2/3)
    #: (``foot_area_scale``).
    foot_of_mass_kg: float | None = None


# Published vertical stiffnesses: Ferris, Liang & Farley 1999 (J Biomech 32:787) ran subjects on
# surfaces of 21.3 and 533 kN/m; Kerdok et al. 2002 (J Appl Physiol 92:469) used 75.4 to
# 945.7 kN/m. Restitutions below 1 are the project's estimates where marked; sand is calibrated
# against Lejeune, Willems & Heglund 1998 (J Exp Biol 201:2071) by experiments/calibrate_sand.py.
SURFACE_PRESETS: dict[str, SurfacePreset] = {
    "rigid": SurfacePreset(math.inf, 0.0, 1.0, "the classical SLIP: the ground does not move",
                           "idealisation"),
    "firm": SurfacePreset(945.7e3, 0.0, 1.0, "firm ground, the stiffest surface of Kerdok et al.",
                          "Kerdok et al. 2002, stiffest surface 945.7 kN/m"),
    "track": SurfacePreset(533e3, 0.0, 0.95, "synthetic running track",
                           "Ferris, Liang & Farley 1999, hard surface 533 kN/m; restitution 0.95 "
                           "is an estimate for a rubber track"),
    "soft_track": SurfacePreset(75.4e3, 0.0, 0.9, "soft, well-cushioned track",
                                "Kerdok et al. 2002, softest surface 75.4 kN/m; restitution 0.9 "
                                "is an estimate"),
    "grass": SurfacePreset(50e3, 0.0, 0.7, "natural grass on soil",
                           "estimate between Ferris et al. 1999 (21.3 kN/m) and Kerdok et al. "
                           "2002 (75.4 kN/m); restitution 0.7 is an estimate"),
    "sand": SurfacePreset(31.8e3, 1530.0, 0.1, "dry loose sand: granular, keeps a footprint",
                          "calibrated (experiments/calibrate_sand.py, figures/sand_calibration.png) "
                          "so that the human-like runner of configs/human.toml at 3.5 m/s spends "
                          "1.6x the metabolic energy of hard ground (Lejeune, Willems & Heglund "
                          "1998); of the surfaces that do, the one whose ratio holds best for "
                          "55-90 kg runners at 2.5-4.5 m/s (1.43-1.63x; mechanical work "
                          "1.15-1.19x, Lejeune 1.15x). Granular: resistance per unit foot area, "
                          "growing with depth (resistive force theory, Li, Zhang & Goldman 2013) "
                          "and with the foot's sinking speed; the numbers are those under a "
                          "70 kg runner's foot. Restitution 0.1 (nearly all deformation stays as "
                          "a footprint) is an estimate",
                          foot_of_mass_kg=70.0),
}


#: Exponent of body mass in the foot's area: geometric similarity, area ∝ length² ∝ mass^(2/3).
FOOT_AREA_MASS_EXPONENT = 2.0 / 3.0


def foot_area_scale(preset: SurfacePreset, mass_kg):
    """Factor on a preset's stiffness and damping for a runner of ``mass_kg`` (scalar or array):
    1 for a surface's own numbers; (m / m_ref)^(2/3) for a granular surface whose resistance is
    per unit foot area (``SurfacePreset.foot_of_mass_kg`` = m_ref)."""
    if preset.foot_of_mass_kg is None:
        return 1.0
    return (mass_kg / preset.foot_of_mass_kg) ** FOOT_AREA_MASS_EXPONENT


def unloaded_force(force_n, peak_force_n, restitution):
    """Force-equivalent of the sink on the elastic-plastic law: z = C * this (N).

    Equal to the force on the loading branch (``force >= peak``) and to
    ``(1 - r) * peak + r * force`` on the stiffer unloading branch.
    """
    return jnp.maximum(force_n, (1.0 - restitution) * peak_force_n + restitution * force_n)


def unloaded_force_slope(force_n, peak_force_n, restitution):
    """d(``unloaded_force``)/dF: 1 on the loading branch, r on the unloading branch."""
    return jnp.where(force_n >= peak_force_n, 1.0, restitution)


def compliance_times_force_m(sink_m, peak_sink_m, restitution):
    """The law read from the sink: C F (m) at sink z after a deepest sink z_max.

    Loading (z >= z_max): C F = z; unloading: C F = (z − (1 − r) z_max) / r (the inverse of
    ``z = C * unloaded_force``).
    """
    return jnp.where(sink_m >= peak_sink_m, sink_m,
                     (sink_m - (1.0 - restitution) * peak_sink_m) / restitution)


def spring_energy_j(force_n, compliance_m_per_n):
    """½ C F² (J): the energy of the surface spring loaded to the force F."""
    return 0.5 * compliance_m_per_n * force_n**2


def stored_energy(force_n, compliance_m_per_n, peak_force_n, restitution):
    """Elastic energy (J) held by the surface at force F on the law above.

    Loading branch: ½ C F²; unloading branch: ½ r C F² (the unloading stiffness is k_s / r).
    """
    return _held_energy_j(force_n, compliance_m_per_n, force_n >= peak_force_n, restitution)


def stored_energies_at_sink(sink_m, peak_sink_m, compliance_m_per_n, restitution):
    """The law's energies read from the sink (J; 0 on rigid ground, C = 0): (stored at the
    deepest sink z_max, ½ C F_max²; held at the sink z, ``stored_energy``)."""
    compliant = compliance_m_per_n > 0
    safe_c = jnp.where(compliant, compliance_m_per_n, 1.0)
    peak_force = peak_sink_m / safe_c
    force = compliance_times_force_m(sink_m, peak_sink_m, restitution) / safe_c
    held = _held_energy_j(force, compliance_m_per_n, sink_m >= peak_sink_m, restitution)
    return (jnp.where(compliant, spring_energy_j(peak_force, compliance_m_per_n), 0.0),
            jnp.where(compliant, held, 0.0))


def _held_energy_j(force_n, compliance_m_per_n, on_loading, restitution):
    """½ C F² on the loading branch, ½ r C F² on the unloading one."""
    return spring_energy_j(force_n, compliance_m_per_n) * jnp.where(on_loading, 1.0, restitution)


def plastic_loss_j(peak_energy_j, restitution):
    """Energy the surface keeps after a stance that stored ``peak_energy_j`` at its deepest:
    (1 − r) of it (J)."""
    return (1.0 - restitution) * peak_energy_j


def footprint_m(peak_sink_m, restitution):
    """Depth of the footprint left by a deepest sink z_max: (1 − r) z_max (m)."""
    return (1.0 - restitution) * peak_sink_m
