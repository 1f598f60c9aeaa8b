"""``simsrc figures``: rebuild every figure by running the experiment scripts.

Discovers ``experiments/e*_*.py`` (one script per question, the pattern of
``experiments/common.py``) and runs each one as a script in its own process,
``python experiments/eN_name.py --out DIR [--smoke] [--force] [--cache-dir DIR | --no-cache]
--outcome FILE``; the script writes ``NAME.png``, ``NAME.npz`` and ``NAME.json`` into the
output folder and its outcome (cache hit, seconds, claim) into FILE. Then the gallery
``README.md`` is written there from the ``.json`` files. The package imports nothing from the
checkout: the scripts are only run. Results are cached by the scripts, by a hash of the config
file, the script, the engine's sources and the smoke flag (``figures/.cache/``), so re-plotting
after a change to nothing that matters is quick; ``--force`` recomputes.

    simsrc figures                     # everything into figures/
    simsrc figures --only e3 --only e5 # two experiments
    simsrc figures --smoke --out /tmp/f  # tiny grids (what the tests run)
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import subprocess
import sys
import tempfile
from typing import NamedTuple

from simsrc.cli import PROG
from simsrc.errors import SimsrcInputError

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPERIMENTS_DIR = os.path.join(CHECKOUT, "experiments")
FIGURES_DIR = os.path.join(CHECKOUT, "figures")
CACHE_DIR = os.path.join(FIGURES_DIR, ".cache")
# where smoke runs go by default (experiments/common.py uses the same)
SMOKE_DIR = os.path.join(tempfile.gettempdir(), "simsrc-figures-smoke")
# numbered slots reserved for experiments still being written: name -> question
RESERVED: dict[str, str] = {}


def _json(out_dir, name):
    with open(os.path.join(out_dir, name)) as f:
        return json.load(f)


def _sand_claim(out_dir) -> str:
    r = _json(out_dir, "sand_calibration.json")
    c, a = r["calibrated"], r["achieved"]
    return (f"The sand preset (k_s = {c['stiffness_n_per_m'] / 1e3:.1f} kN/m, c_s = "
            f"{c['damping_n_s_per_m'] / 1e3:.2f} kN·s/m, r = {c['restitution']}) makes the "
            f"human-like runner spend {a['metabolic_ratio']:.2f}x the metabolic energy of hard "
            f"ground (Lejeune et al. 1998: 1.6x) at {a['mechanical_work_ratio']:.2f}x the "
            "mechanical work (Lejeune: 1.15x; no surface of the model gives both)."
            + _sand_runners_claim(r))


def _sand_runners_claim(r) -> str:
    """The chosen granular sand's ratios for other runners, where the calibration has them."""
    held = r.get("chosen_across_runners")
    if not held:
        return ""
    meta = [v for v in held["metabolic_ratio"][0] if v is not None and math.isfinite(v)]
    work = [v for v in held["mechanical_work_ratio"][0] if v is not None and math.isfinite(v)]
    masses = sorted({x["mass_kg"] for x in held["runners"]})
    speeds = sorted({x["speed_m_per_s"] for x in held["runners"]})
    return (f" Granular, its resistance per unit foot area, it holds for {masses[0]:.0f}-"
            f"{masses[-1]:.0f} kg runners at {speeds[0]:g}-{speeds[-1]:g} m/s: "
            f"{min(meta):.2f}-{max(meta):.2f}x metabolic, {min(work):.2f}-{max(work):.2f}x "
            f"mechanical work ({len(meta)} of {len(held['runners'])} runners steady).")


def _fukuchi_claim(out_dir) -> str:
    r = _json(out_dir, "fit_fukuchi_results.json")
    parts = []
    for t in r["trials"]:
        fit = t["push"]
        k = fit["parameters"]["leg_stiffness_n_per_m"]
        parts.append(f"at {t['speed_m_per_s']:g} m/s k = {k['value'] / 1e3:.1f} ± "
                     f"{k['stderr'] / 1e3:.1f} kN/m with an RMS error of "
                     f"{fit['rms_vertical_bw']:.3f} BW vertical (Morin estimate "
                     f"{t['morin_leg_stiffness_n_per_m'] / 1e3:.1f} kN/m)")
    return "Spring-mass fits to the mean stance force of Fukuchi et al. 2017: " + "; ".join(
        parts) + "."


def _fukuchi_impact_claim(out_dir) -> str:
    r = _json(out_dir, "fit_fukuchi_impact_results.json")
    parts = []
    for t in r["trials"]:
        free, pad = t["two_mass"], t["heel_pad"]
        parts.append(f"at {t['speed_m_per_s']:g} m/s {free['rms_vertical_bw']:.3f} BW "
                     f"(massless with push {t['massless']['push']['rms_vertical_bw']:.3f}) with "
                     f"a contact compressed {free['max_contact_compression_m'] * 1e3:.0f} mm, "
                     f"{pad['rms_vertical_bw']:.3f} BW with a heel-pad contact (k "
                     f"{pad['parameters']['leg_stiffness_n_per_m']['value'] / 1e3:.1f} kN/m, "
                     f"Morin {t['morin_leg_stiffness_n_per_m'] / 1e3:.1f})")
    return ("Two-mass fits to the mean stance force of Fukuchi et al. 2017, impact included, "
            "no push: vertical RMS " + "; ".join(parts) + ". Only the free contact reaches "
            "the 0.06 BW target, by compressing far more than a heel pad can (docs/fitting.md "
            "§13); the heel-pad fits are the ones to read for stiffness.")


def _watch_claim(out_dir) -> str:
    r = _json(out_dir, "fit_watch_results.json")
    parts = []
    for f in r["files"]:
        text = (f"{f['file']}: median {f['k_median_n_per_m'] / 1e3:.1f} kN/m over "
                f"{f['fitted']} s, {f['fit_vs_morin']['median_ratio']:.2f}x Morin")
        dev = f.get("fit_vs_device", {})
        if dev.get("n"):
            text += (f", {dev['median_ratio']:.2f}x the pod's Leg Spring Stiffness "
                     f"(r = {dev['pearson_r']:.2f})")
        parts.append(text)
    return "One fit per second of running-watch files: " + "; ".join(parts) + "."


# figures made by other scripts: file -> (script, question, claim read from their results)
OTHER_FIGURES = {
    "sand_calibration.png": (
        "experiments/calibrate_sand.py",
        "Which sand surface makes running cost what Lejeune, Willems & Heglund 1998 measured?",
        _sand_claim),
    "fit_fukuchi.png": (
        "experiments/fit_fukuchi.py",
        "How well does the spring-mass model follow measured ground reaction forces, and with "
        "which stiffness?", _fukuchi_claim),
    "fit_fukuchi_impact.png": (
        "experiments/fit_fukuchi_impact.py",
        "Does a lower leg with mass fit the measured ground force, impact included, without a "
        "push, and with which stiffness?", _fukuchi_impact_claim),
    "fit_watch.png": (
        "experiments/fit_watch.py",
        "What leg stiffness does each second of a running-watch recording imply, and how does it "
        "compare with the foot pod's own value?", _watch_claim),
}


def discover(folder: str = EXPERIMENTS_DIR) -> list[str]:
    """The experiment scripts ``e*_*.py`` in ``folder``, in order."""
    if not os.path.isdir(folder):
        raise SimsrcInputError(f"no experiments folder at {folder}: `simsrc figures` runs the "
                               "scripts of a source checkout (pass --experiments DIR)")
    return sorted(glob.glob(os.path.join(folder, "e[0-9]*_*.py")))


class Outcome(NamedTuple):
    """What one run of an experiment script produced: the ``--outcome`` record that
    ``experiments/common.py`` writes (cache hit, seconds, the three files, the claim)."""

    name: str
    cache_hit: bool
    seconds: float
    png: str
    data: str
    meta: str
    claim: str


class ExperimentFailed(RuntimeError):
    """An experiment script stopped with an error that is not bad input (its own messages,
    e.g. a traceback, went to stderr)."""


def _script(path: str, flags: list[str], log) -> tuple[int, str]:
    """Run ``python path flags...``; each line it prints goes to ``log``; returns (exit code,
    what it wrote on stderr)."""
    with tempfile.TemporaryFile("w+") as err:
        with subprocess.Popen([sys.executable, path, *flags], stdout=subprocess.PIPE,
                              stderr=err, text=True,
                              env=dict(os.environ, PYTHONUNBUFFERED="1")) as proc:
            for line in proc.stdout:
                log(line.rstrip("\n"))
        err.seek(0)
        return proc.returncode, err.read()


def _check(path: str, code: int, err: str) -> None:
    """Pass the script's stderr on; exit code 2 (bad input, ``NAME: error: MESSAGE``) becomes
    a ``SimsrcInputError`` with its message, any other failure ``ExperimentFailed``."""
    name = os.path.splitext(os.path.basename(path))[0]
    prefix = f"{name}: error: "
    if code == 2 and prefix in err:
        sys.stderr.write(err[:err.rfind(prefix)])
        raise SimsrcInputError(err[err.rfind(prefix) + len(prefix):].strip())
    sys.stderr.write(err)
    if code != 0:
        raise ExperimentFailed(f"{path} failed with exit code {code}")


def describe(path: str) -> dict:
    """The experiment's name, question, config and what its figure shows (``--describe``)."""
    lines = []
    code, err = _script(path, ["--describe"], lines.append)
    _check(path, code, err)
    return json.loads("\n".join(lines))


def run_experiment(path: str, out_dir: str, *, smoke: bool = False, force: bool = False,
                   cache_dir: str | None = CACHE_DIR, log=print) -> Outcome:
    """Run one experiment script (a process of its own) into ``out_dir``; its progress lines go
    to ``log``.

    Raises:
        SimsrcInputError: the script refused its config (exit code 2).
        ExperimentFailed: the script failed otherwise.
    """
    with tempfile.TemporaryDirectory() as tmp:
        record = os.path.join(tmp, "outcome.json")
        flags = ["--out", out_dir, "--outcome", record]
        flags += ["--smoke"] if smoke else []
        flags += ["--force"] if force else []
        flags += ["--cache-dir", cache_dir] if cache_dir else ["--no-cache"]
        code, err = _script(path, flags, log)
        _check(path, code, err)
        with open(record) as f:
            return Outcome(**json.load(f))


def select(paths: list[str], only) -> list[str]:
    """The scripts named by ``only`` (``e3``, ``e3_force_speed`` or ``force_speed``)."""
    if not only:
        return paths
    stems = {os.path.splitext(os.path.basename(p))[0]: p for p in paths}
    chosen = []
    for want in only:
        hits = [p for s, p in stems.items()
                if want in (s, s.split("_", 1)[0], s.split("_", 1)[1])]
        if not hits:
            raise SimsrcInputError(f"no experiment named {want!r}; available: "
                                   f"{', '.join(stems)}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def build(only=(), *, smoke: bool = False, force: bool = False, out_dir: str | None = None,
          cache_dir: str | None = CACHE_DIR, experiments_dir: str = EXPERIMENTS_DIR,
          log=print) -> list[Outcome]:
    """Run the selected experiment scripts one after the other, then write the gallery;
    return their outcomes."""
    paths = select(discover(experiments_dir), only)
    out_dir = out_dir or (SMOKE_DIR if smoke else FIGURES_DIR)
    outcomes = [run_experiment(p, out_dir, smoke=smoke, force=force, cache_dir=cache_dir,
                               log=log) for p in paths]
    gallery = write_gallery(out_dir)
    log(f"gallery: {gallery}")
    return outcomes


def write_gallery(out_dir: str) -> str:
    """``README.md`` in ``out_dir`` from the experiments' ``NAME.json`` files (and the reserved
    slots that have none yet)."""
    entries = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "e[0-9]*_*.json"))):
        with open(path) as f:
            body = json.load(f)
        entries[body["name"]] = body
    lines = ["# Figures", "",
             "Generated by `simsrc figures` (each entry by its script in `experiments/`); "
             "do not edit by hand. Every number in a claim is read from the data file beside "
             "the figure. Rebuild one with `simsrc figures --only NAME`.", ""]
    for name in sorted(set(entries) | set(RESERVED)):
        if name not in entries:
            lines += [f"## {name} (slot reserved)", "", RESERVED[name], "",
                      f"Not written yet: `experiments/{name}.py` will follow the pattern of "
                      "`experiments/common.py`.", ""]
            continue
        e = entries[name]
        smoke = " (smoke run: tiny grid, not for reading)" if e.get("smoke") else ""
        lines += [f"## {name}{smoke}", "", f"![{name}]({e['figure']})", "",
                  f"**Question.** {e['question']}", "",
                  f"**Claim.** {e['claim']}", "",
                  f"**Shows.** {e['shows']}", "",
                  f"Script `{e['script']}`, config `{e['config']}`, data `{e['data']}`; "
                  f"command `{e['command']}`.", ""]
    if os.path.exists(os.path.join(out_dir, "stability_map.png")):
        lines += ["## stability_map", "", "![stability_map](stability_map.png)", "",
                  "`python experiments/stability_map.py`: the original stability map script "
                  "(e8_stability draws the same map from a config).", ""]
    for png, (script, question, claim_of) in OTHER_FIGURES.items():
        if not os.path.exists(os.path.join(out_dir, png)):
            continue
        stem = png[:-4]
        try:
            claim = claim_of(out_dir)
        except (OSError, KeyError, ValueError, TypeError, IndexError) as e:
            claim = f"(its results file could not be read: {e})"
        lines += [f"## {stem}", "", f"![{stem}]({png})", "", f"**Question.** {question}", "",
                  f"**Claim.** {claim}", "", f"Command `python {script}`.", ""]
    listed = {f"{n}.png" for n in entries} | {"stability_map.png"} | set(OTHER_FIGURES)
    others = sorted(os.path.basename(p) for p in glob.glob(os.path.join(out_dir, "*.png"))
                    if os.path.basename(p) not in listed)
    if others:
        lines += ["## Other figures in this folder", "",
                  "Made by other commands (not by `simsrc figures`); see their scripts.", ""]
        lines += [f"- [{name}]({name})" for name in others] + [""]
    path = os.path.join(out_dir, "README.md")
    os.makedirs(out_dir, exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


# ----------------------------------------------------------------------------- command

def add_parser(sub) -> None:
    """Register ``simsrc figures``."""
    p = sub.add_parser(
        "figures", help="rebuild the figures by running the experiment scripts (cached)",
        description="Run every experiments/e*_*.py (or those named by --only) and write its "
        "figure (PNG), data (.npz) and description (.json) into figures/, then the gallery "
        "figures/README.md. Simulation results are cached by a hash of the config, the script "
        "and the engine's sources (figures/.cache/), so a rerun only re-plots.",
        epilog="examples:\n  simsrc figures\n  simsrc figures --only e3 --only e5\n"
               "  simsrc figures --smoke --out /tmp/figs\n  simsrc figures --force",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only this experiment (e3, e3_force_speed or force_speed); repeatable")
    p.add_argument("--smoke", action="store_true",
                   help="tiny grids and few steps (default output: a temporary folder)")
    p.add_argument("--force", action="store_true", help="recompute even if cached")
    p.add_argument("--out", metavar="DIR", help="output folder (default: figures/)")
    p.add_argument("--cache-dir", metavar="DIR", default=CACHE_DIR,
                   help="cache folder (default: figures/.cache)")
    p.add_argument("--experiments", metavar="DIR", default=EXPERIMENTS_DIR,
                   help="folder of the experiment scripts (default: the checkout's experiments/)")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.set_defaults(func=run)


def run(args) -> int:
    """The command: list the experiments, or build them and the gallery."""
    try:
        if args.list:
            for path in discover(args.experiments):
                e = describe(path)
                print(f"{e['name']:24s} {e['question']}")
            return 0
        outcomes = build(args.only or (), smoke=args.smoke, force=args.force,
                         out_dir=args.out, cache_dir=args.cache_dir,
                         experiments_dir=args.experiments)
    except ExperimentFailed as e:
        print(f"{PROG} figures: error: {e}", file=sys.stderr)
        return 1
    hits = sum(o.cache_hit for o in outcomes)
    print(f"{len(outcomes)} experiments ({hits} from the cache)")
    return 0
