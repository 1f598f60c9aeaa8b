"""The batched damped Newton of the gait solvers (``simsrc.gait.newton``) on closed-form
residuals: roots found, and elements with no root stopped early (its stall rule) without
touching the others."""
import numpy as np

from simsrc.gait.newton import STALL_WINDOW, damped_newton


def _scalar(f, df, calls=None, valid=lambda u: np.ones(u.shape[0], bool)):
    """A residual u (N, 1) -> (r, J, ok, aux) of the scalar function f; ``calls`` collects the
    rows evaluated per call (subset mode)."""
    def residual(u, idx=None):
        if calls is not None:
            calls.append(np.arange(u.shape[0]) if idx is None else np.asarray(idx))
        x = u[:, 0]
        return f(x)[:, None], df(x)[:, None, None], valid(u), np.zeros(u.shape[0])
    return residual


def _solve(residual, u0, iters=60, max_step=0.2):
    u0 = np.asarray(u0, float)[:, None]
    ones = np.ones_like(u0)
    return damped_newton(residual, u0, ones, ones, iters=iters, map_iters=0, tol=1e-12,
                         max_step=max_step, subset=True)


def test_a_root_far_away_is_reached_through_many_short_steps():
    # u^3 - 8 from u = 6 with steps of at most 0.2: about 20 damped steps before Newton's
    # quadratic phase; each lowers |r| by far more than the stall rule asks
    u, r, ok, _, rn, it = _solve(_scalar(lambda x: x**3 - 8.0, lambda x: 3 * x**2), [6.0])
    assert ok[0] and rn[0] <= 1e-12
    assert abs(u[0, 0] - 2.0) < 1e-12
    assert it[0] > 20


def test_no_root_stops_at_the_residual_minimum_long_before_the_iteration_limit():
    # u^2 + 1 has no real root; its minimum |r| = 1 is at u = 0
    u, r, ok, _, rn, it = _solve(_scalar(lambda x: x**2 + 1.0, lambda x: 2 * x), [3.0],
                                 iters=200)
    assert ok[0] and rn[0] > 0.99
    assert abs(u[0, 0]) < 0.1
    assert it[0] < 60


def test_an_element_that_is_never_valid_is_evaluated_once():
    calls = []
    res = _scalar(lambda x: x - 1.0, lambda x: np.ones_like(x), calls,
                  valid=lambda u: u[:, 0] < 5.0)
    u, r, ok, _, rn, it = _solve(res, [0.0, 9.0])
    assert ok[0] and abs(u[0, 0] - 1.0) < 1e-12
    assert not ok[1] and it[1] == 1 and u[1, 0] == 9.0
    assert sum(1 in c for c in calls) == 1


def test_a_stalled_element_stops_without_changing_its_neighbours_answer():
    # element 0: u^2 + 1 (no root); element 1: u^3 - 8 from far away (many more iterations)
    calls = []

    def residual(u, idx=None):
        calls.append(np.asarray(idx))
        x = u[:, 0]
        k = np.asarray(idx)
        r = np.where(k == 0, x**2 + 1.0, x**3 - 8.0)
        j = np.where(k == 0, 2 * x, 3 * x**2)
        return r[:, None], j[:, None, None], np.ones(x.size, bool), np.zeros(x.size)

    u, r, ok, _, rn, it = _solve(residual, [3.0, 30.0], iters=400)
    assert abs(u[1, 0] - 2.0) < 1e-12 and rn[1] <= 1e-12
    assert rn[0] > 0.99 and it[0] < it[1]
    last = max(i for i, c in enumerate(calls) if 0 in c)
    assert all(0 not in c for c in calls[last + 1:]) and len(calls) > last + STALL_WINDOW


def test_an_alternative_start_stops_once_its_leader_converged():
    # elements 0 and 1 solve u^3 - 8 from 6 and from 30; element 1 stands in for element 0
    # (stop_with), so it stops, unconverged, at the evaluation where element 0 converges, and
    # element 0's answer is the one it has alone
    calls = []
    res = _scalar(lambda x: x**3 - 8.0, lambda x: 3 * x**2, calls)
    ones = np.ones((2, 1))
    u, r, ok, _, rn, it = damped_newton(res, np.array([[6.0], [30.0]]), ones, ones, iters=400,
                                        map_iters=0, tol=1e-12, max_step=0.2, subset=True,
                                        stop_with=np.array([-1, 0]))
    alone = _solve(_scalar(lambda x: x**3 - 8.0, lambda x: 3 * x**2), [6.0], iters=400)
    assert u[0, 0] == alone[0][0, 0] and it[0] == alone[5][0] and rn[0] <= 1e-12
    assert rn[1] > 1e-6 and it[1] == it[0]
    assert sum(1 in c for c in calls) == it[0] and len(calls) == it[0]
