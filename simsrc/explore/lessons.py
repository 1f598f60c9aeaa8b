"""Guided lessons, one per claim of the gallery (figures/README.md, experiments e1..e8), plus one
on the energy balance: a question, the controls to try (a state the page loads), what to look for
and the number behind it.

Each ``setup`` is a partial explorer state (``simsrc.explore.controls``), applied on top of the
default runner; ``compare`` (optional) is what runner B changes from runner A (the comparison
view). ``figure`` names the gallery figure of the claim (``None``: no figure of its own).
``number`` is the number behind the lesson: read off the explorer's answer for the setup (on
2026-12-02, the general program of ``simsrc.explore.answer``, default runner: ``simsrc run``'s
built-in human runner) or quoted from figures/README.md, which says so. The direction each lesson claims is a test (tests/test_explore_api.py,
``test_every_lesson_shows_what_it_claims``). Where the explorer cannot show a claim (the swinging
leg), the lesson says what it shows instead and points at the figure.
"""
from __future__ import annotations

LESSONS = (
    {"id": "springs",
     "figure": "figures/e1_springs.png",
     "title": "Where the energy of a step goes",
     "question": "Where does the energy of one running step go: kinetic, gravitational, elastic?",
     "setup": {"leg_damping_ratio": 0.0},
     "try": "Watch the energy bars of the default runner with a lossless leg (damping 0, set "
            "here); then put the leg damping back to 0.1 (the default runner's: the knee "
            "extensors' eccentric work) and see the 'lost' bar appear and the push put it back.",
     "look_for": "In stance the leg spring stores the step's energy (the 'stored' bar) and gives "
                 "all of it back ('returned' as tall, nothing 'lost'): a lossless bounce that "
                 "needs no push. The firm ground stores a little of it too, and returns it.",
     "number": "Explorer: the leg spring holds 191.8 J at its deepest and the firm ground 2.2 J; "
               "100.0 % comes back, 0.0 J is lost. With the leg damping at 0.1: 101 J lost "
               "and 101 J pushed back a step. Gallery (e1's runner): 62.4 J in the leg, 0.99 J "
               "in the ground, 100.0 % returned."},
    {"id": "sand",
     "figure": "figures/e2_sand.png",
     "title": "Running on sand",
     "question": "Why is sand tiring?",
     "setup": {"surface": "firm"},
     "compare": {"surface": "sand"},
     "try": "Compare firm ground (left) with sand (right) at the same held speed.",
     "look_for": "On sand the foot sinks and leaves a footprint; the ledger's 'lost' bar grows "
                 "(plastic and damping losses in the sand on top of the leg's own), the energy "
                 "return falls, and the push must put the loss back: a higher metabolic "
                 "estimate.",
     "number": "Explorer: on sand the step loses 193 J (firm: 101 J, the leg's damping) and "
               "gives back 66.3 % of the elastic energy stored in leg and ground (firm: "
               "96.8 %); the foot leaves a 4.4 cm footprint and the push rises from 1.00 to "
               "1.59 BW; the metabolic estimate from 4.85 to 7.46 J/kg/m, 1.54x. Gallery: 6.78 "
               "vs 4.23 J/kg/m, 1.60x (Lejeune et al. 1998 measured 1.6x)."},
    {"id": "push",
     "figure": None,
     "title": "Who pays for the losses?",
     "question": "What sets the speed when nothing holds it?",
     "setup": {"target_speed_m_per_s": "off", "push_force_bw": 0.6, "surface": "sand",
               "leg_damping_ratio": 0.0},
     "try": "Untick 'hold speed' (done here: the landing angle as set, on sand, a lossless "
            "leg) and move the push between 0.5 and 0.8 BW.",
     "look_for": "The energy balance decides the speed: more push, more energy injected per "
                 "step, a faster steady gait. Set the push to 0: there is no steady gait, and "
                 "the page says why (the runner loses energy and nothing puts it back).",
     "number": "Explorer: on sand a 0.5 BW push settles at 2.39 m/s, 0.7 BW at 2.65 m/s; "
               "with no push there is no steady gait."},
    {"id": "force_speed",
     "figure": "figures/e3_force_speed.png",
     "title": "Force and speed",
     "question": "Does a faster speed come from longer strides and greater ground forces?",
     "setup": {},
     "compare": {"target_speed_m_per_s": 5.0},
     "try": "Runner A holds 3.5 m/s, runner B 5 m/s, both with the default runner's damped "
            "leg, whose losses the push replaces; move B's held speed further.",
     "look_for": "The faster runner needs a harder push, lands flatter, takes longer steps and "
                 "meets greater peak forces, while its contact time gets shorter, not longer: "
                 "the extra speed comes from longer strides and greater forces, not from "
                 "longer contacts (Weyand et al. 2000).",
     "number": "Explorer: 3.5 to 5 m/s takes the push from 1.00 to 1.40 BW, the step from 1.43 "
               "to 2.15 m, the peak force from 2.42 to 3.01 BW, and the contact from 0.237 to "
               "0.195 s. Gallery (steady gaits, apex height held): at 9 m/s a 1.06 instead of "
               "0.96 BW push (bouncing to 0.98 instead of 0.92 m) gives 4.44 instead of 3.55 m "
               "steps and 6.3 instead of 5.3 BW peaks in a contact 6 % longer."},
    {"id": "lean",
     "figure": "figures/e4_lean_overstriding.png",
     "title": "Lean and over-striding",
     "question": "What does leaning do when the runner places its feet to hold its speed?",
     "setup": {"lean_deg": -5.0},
     "compare": {"lean_deg": 2.0},
     "try": "Runner A leans back 5 deg, runner B forward 2 deg, both holding 3.5 m/s; read the "
            "solved angle of attack under the control and the landing angle in the table. Then "
            "choose foot placement 'raibert' for both and compare the speeds.",
     "look_for": "The foot placement undoes the lean: it puts the leg down at the same angle to "
                 "the ground (the landing angle), so every number of the gait is the same, "
                 "braking included; only the angle to the body (the solved angle of attack) "
                 "differs, by the lean. Leaning back does not make this runner over-stride. "
                 "Under Raibert's law (the figure's runner) the foot goes where the law puts it "
                 "relative to the hip, so the lean tilts the leg at landing and changes the "
                 "speed itself: leaning forward runs faster.",
     "number": "Explorer: holding 3.5 m/s both land at 66.2 deg to the ground with a 26.2 N s "
               "braking impulse; the solved angle of attack is 71.2 deg leaning back, 64.2 deg "
               "leaning forward. Under Raibert's law (gain 0.1 s, aiming at 3.5 m/s) -5, 0, 5 "
               "and 10 deg of lean run at 2.07, 2.92, 3.73 and 4.51 m/s. Gallery: under Raibert "
               "placement, -5 to +10 deg of lean raises the steady speed "
               "from 1.57 to 4.07 m/s, and the foot always lands within 3.5 cm of the neutral "
               "point: no lean makes that runner over-stride."},
    {"id": "stiffness",
     "figure": "figures/e5_stiffness.png",
     "title": "Stiff legs, short contacts",
     "question": "What does a stiffer leg change at the same speed?",
     "setup": {"leg_stiffness_kn_per_m": 12.0},
     "try": "Move the leg stiffness from 12 to 30 kN/m.",
     "look_for": "The contact time falls and the cadence rises; the vertical oscillation shrinks "
                 "and the peak force grows. The Morin estimate of the stiffness, from contact "
                 "and flight times only, follows the model's rise but stays below it: it "
                 "assumes an undamped spring, and this leg's damping (ratio 0.1) and push shape "
                 "the contact too.",
     "number": "Explorer: 12 to 30 kN/m takes the contact from 0.227 to 0.156 s, the cadence "
               "from 157 to 181 steps/min, the oscillation from 9.4 to 8.5 cm, the peak force "
               "from 2.37 to 3.15 BW; Morin's estimate 11.4 and 25.4 kN/m. Gallery: to keep its "
               "COM drop on soft (21.3 kN/m) ground the leg must be 50 % stiffer (Ferris et al. "
               "1999: +41 %)."},
    {"id": "slope",
     "figure": "figures/e6_slope.png",
     "title": "Uphill and downhill",
     "question": "How does the slope change the work per step?",
     "setup": {"slope_deg": 5.0},
     "try": "Move the slope from -10 to +5 deg.",
     "look_for": "Uphill the push must lift the body: more positive work every step and a "
                 "metabolic estimate well above the level's. Downhill the runner gains energy: "
                 "the push it needs shrinks to nothing, and below about -7 deg the solver "
                 "switches from push to more leg damping (braking), and the step's work is all "
                 "negative (eccentric).",
     "number": "Explorer: the push does 180 J a step at +5 deg (metabolic 8.84 J/kg/m), 101 J "
               "on the level (4.85) and 19 J at -5 deg; at -10 deg none, and the braking leg "
               "absorbs 171 J a step (level: 97 J). Gallery: at -10 deg 179 J negative work per step vs 107 J on "
               "the level."},
    {"id": "swing",
     "figure": "figures/e7_swing_leg.png",
     "title": "The swinging leg",
     "question": "Where must the swinging leg put the foot, and how much time has it?",
     "setup": {},
     "compare": {"target_speed_m_per_s": 5.0},
     "try": "Runner A holds 3.5 m/s, runner B 5 m/s; read the solved angle of attack and the "
            "cadence and flight time in the table.",
     "look_for": "The explorer solves where the foot must land (the foot placement), not the "
                 "swing that brings it there (the pendulum landing mode of simsrc run, which "
                 "the explorer does not offer). Faster, the leg must land flatter and the "
                 "cadence falls: the swing has a longer flight to bring the leg forward. "
                 "figures/e7_swing_leg.png shows the swing itself: a stiffer hip spring swings "
                 "the leg faster, and costs more.",
     "number": "Explorer: from 3.5 to 5 m/s the landing angle goes from 66.2 to 61.7 deg, the "
               "cadence from 147 to 139 steps/min, the flight from 0.170 to 0.235 s. Gallery: "
               "a hip spring of 210 to 330 N·m/rad raises the swing's metabolic cost from 0.93 "
               "to 1.35 J/kg/m (+44 %), the cadence going from 148 to 136 steps/min."},
    {"id": "stability",
     "figure": "figures/e8_stability.png",
     "title": "Stability",
     "question": "Does the runner keep its gait by itself, or does it need foot placement?",
     "setup": {"target_speed_m_per_s": "off"},
     "compare": {"foot_placement": "raibert"},
     "try": "Runner A lands at a fixed angle (66.5 deg) with its push and a free speed (the "
            "gait of `simsrc run`); runner B is the same runner placing its feet by Raibert's "
            "law. Read the stability line.",
     "look_for": "With a fixed landing angle this gait is unstable: a runner started near it "
                 "drifts away (a multiplier above 1). Placing the foot by feedback makes the "
                 "same runner stable (all multipliers below 1). The map of where a runner "
                 "without control is stable by itself is figures/e8_stability.png.",
     "number": "Explorer: largest |multiplier| 1.19 with the fixed angle, 0.48 under Raibert's "
               "law (0.88 holding 3.5 m/s). Gallery: only 10 % of the (stiffness, angle) grid runs stably "
               "without control; the canonical gait (20.2 kN/m, 68.1 deg) has |λ| = 0.16."},
)
