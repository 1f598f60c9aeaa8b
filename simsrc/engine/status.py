"""Outcome codes of a step. Failures are outcomes, never exceptions under ``jit``."""

OK = 0
FALL = 1
NO_LIFTOFF = 2
BACKWARDS = 3
STEP_TIME = 4
NON_FINITE = 5
LEDGER_OPEN = 6     # assigned by simsrc.metrics.summary, not by the engine (see MEANINGS)

NAMES = {
    OK: "ok",
    FALL: "fall",
    NO_LIFTOFF: "no_liftoff",
    BACKWARDS: "backwards",
    STEP_TIME: "step_time_budget",
    NON_FINITE: "non_finite",
    LEDGER_OPEN: "ledger_open",
}

MEANINGS = {
    OK: "the step completed",
    FALL: "the COM could not clear the touchdown height, or reached the surface in stance",
    NO_LIFTOFF: "the leg was still loaded at the end of the stance time budget",
    BACKWARDS: "the body moved backwards or stopped (vx <= 0, or never passed over the foot)",
    STEP_TIME: "the flight before touchdown exceeded the step time budget",
    NON_FINITE: "a NaN or infinity appeared",
    LEDGER_OPEN: ("the step's energy ledger did not close (its residual was not finite or "
                  "above 1 % of the step's energy): its numbers are not physical; the "
                  "integration did not resolve the step (stiffer springs need more "
                  "[numerics] stance_steps). Set on the host by simsrc.metrics.summary, "
                  "for this step and every later one"),
}


def name(code: int) -> str:
    """Short name of a status code (``'ok'``, ``'fall'``, ...)."""
    return NAMES.get(int(code), f"unknown({int(code)})")
