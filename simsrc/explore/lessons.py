"""Guided lessons: a question, the controls to try (a state the page loads), what to look for.

Each ``setup`` is a partial explorer state (``simsrc.explore.controls``), applied on top of the
default runner; ``compare`` (optional) is the second runner of the comparison view. The claims
in ``look_for`` are what the model answers for them (read off the page on 2026-12-01; the
directions of the first three and the braking downhill are also tests in
tests/test_explore_api.py).
"""
from __future__ import annotations

LESSONS = (
    {"id": "stiffness",
     "title": "Stiff legs, short contacts",
     "question": "What does a stiffer leg change at the same speed?",
     "setup": {"leg_stiffness_kn_per_m": 12.0},
     "try": "Move the leg stiffness from 12 to 30 kN/m.",
     "look_for": "The contact time falls (0.23 s to 0.14 s) and the cadence rises (131 to "
                 "240 steps/min: the apex height is held, so the flights shorten too); the "
                 "vertical oscillation shrinks (17 to 4 cm) and the peak force falls a little "
                 "(3.2 to 2.7 BW). The Morin estimate of the stiffness, from contact and "
                 "flight times only, follows the model's own (11.4 against 11.5 kN/m, 28.8 "
                 "against 28.8)."},
    {"id": "sand",
     "title": "Running on sand",
     "question": "Why is sand tiring?",
     "setup": {"surface": "firm"},
     "compare": {"surface": "sand"},
     "try": "Compare firm ground (left) with sand (right) at the same held speed.",
     "look_for": "On sand the foot sinks and leaves a footprint; the ledger's 'lost' bar grows "
                 "(plastic and damping losses in the sand), the energy return falls, and the "
                 "push must put the loss back: a higher metabolic estimate."},
    {"id": "push",
     "title": "Who pays for the losses?",
     "question": "What sets the speed when nothing holds it?",
     "setup": {"target_speed_m_per_s": "off", "push_force_bw": 0.6, "surface": "sand"},
     "try": "Untick 'hold speed' (done here) and move the push between 0.4 and 0.8 BW.",
     "look_for": "The energy balance decides the speed: more push, more energy injected per "
                 "step, a faster steady gait. Set the push to 0: there is no steady gait, and "
                 "the page says why (the runner loses energy and nothing puts it back)."},
    {"id": "slope",
     "title": "Uphill and downhill",
     "question": "How does the slope change the work per step?",
     "setup": {"slope_deg": 5.0},
     "try": "Move the slope from -5 to +5 deg.",
     "look_for": "Uphill the push must lift the body: at +5 deg it injects about 93 J a "
                 "step and the metabolic estimate is 4 J/kg/m (0 on the level, where firm "
                 "ground loses nothing). Downhill the runner gains energy and must brake: at "
                 "-5 deg the solver switches from push to leg damping, and about 85 J a step "
                 "is lost instead of injected."},
)
