"""Outcome codes of a step. Failures are outcomes, never exceptions under ``jit``."""

OK = 0
FALL = 1
NO_LIFTOFF = 2
BACKWARDS = 3
STEP_TIME = 4
NON_FINITE = 5

NAMES = {
    OK: "ok",
    FALL: "fall",
    NO_LIFTOFF: "no_liftoff",
    BACKWARDS: "backwards",
    STEP_TIME: "step_time_budget",
    NON_FINITE: "non_finite",
}

MEANINGS = {
    OK: "the step completed",
    FALL: "the COM could not clear the touchdown height, or reached the surface in stance",
    NO_LIFTOFF: "the leg was still loaded at the end of the stance time budget",
    BACKWARDS: "the body moved backwards or stopped (vx <= 0, or never passed over the foot)",
    STEP_TIME: "the flight before touchdown exceeded the step time budget",
    NON_FINITE: "a NaN or infinity appeared",
}


def name(code: int) -> str:
    """Short name of a status code (``'ok'``, ``'fall'``, ...)."""
    return NAMES.get(int(code), f"unknown({int(code)})")
