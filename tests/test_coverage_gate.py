"""The kernel coverage gate (conftest.missing_coverage over helpers.COVERAGE) itself: it used to
credit a gradient check to every kernel that ran forward, at any size, so tanh with its
gradient's sign flipped passed when tanh ran only on one constant element."""
import numpy as np
import pytest
from conftest import missing_coverage
from helpers import COVERAGE, check_op, normal

import glflow as gf
from glflow.ops import math as math_ops


@pytest.fixture
def fresh_coverage():
    """Empty coverage sets for the test; the session's come back afterwards."""
    saved = {key: set(kernels) for key, kernels in COVERAGE.items()}
    for kernels in COVERAGE.values():
        kernels.clear()
    yield COVERAGE
    for key, kernels in saved.items():
        COVERAGE[key].clear()
        COVERAGE[key].update(kernels)


def _lacks(kernel, *checks):
    return f"{kernel}: not checked for {', '.join(checks)}" in missing_coverage()


def test_a_kernel_run_only_on_constants_gets_no_gradient_credit(fresh_coverage):
    constant = np.full(8, 0.5, np.float32)
    check_op(lambda x: x * gf.tanh(gf.tensor(constant)), [normal((8,))])
    assert "tanh" in COVERAGE["gl"] and "tanh" in COVERAGE["cpu"]  # its values were checked
    assert "tanh" not in COVERAGE["grad"] and "tanh" not in COVERAGE["finite_difference"]
    assert "mul" in COVERAGE["grad"] and "mul" in COVERAGE["finite_difference"]
    assert _lacks("tanh", "grad", "finite_difference")


def test_a_gradient_seen_on_at_most_4_elements_gets_no_credit(fresh_coverage):
    check_op(gf.tanh, [normal((4,))])  # one texel
    assert "tanh" not in COVERAGE["grad"]
    check_op(gf.tanh, [normal((5,))])
    assert "tanh" in COVERAGE["grad"] and "tanh" in COVERAGE["finite_difference"]
    assert not _lacks("tanh", "grad", "finite_difference")


def test_finite_difference_credit_comes_from_a_passing_finite_difference_check(fresh_coverage,
                                                                              monkeypatch):
    # Both backends run the op's gradient code, so a wrong gradient agrees gl vs cpu (grad
    # credit) and only finite differences see it: no finite-difference credit then. tanh's
    # gradient is dy * (1 - y^2) through glflow/ops/math.py's sub; swapping its arguments
    # flips the sign.
    real_sub = math_ops.sub
    monkeypatch.setattr(math_ops, "sub", lambda a, b: real_sub(b, a))
    with pytest.raises(AssertionError, match="finite differences"):
        check_op(gf.tanh, [normal((6,))])
    assert "tanh" in COVERAGE["grad"]
    assert "tanh" not in COVERAGE["finite_difference"]
    assert _lacks("tanh", "finite_difference")


def test_kernels_inside_custom_grad_get_no_gradient_credit(fresh_coverage):
    @gf.custom_grad
    def tanh_by_hand(x):
        y = gf.tanh(x)
        return y, lambda dy: dy * (1.0 - y * y)
    check_op(tanh_by_hand, [normal((6,))])
    assert "tanh" in COVERAGE["gl"] and "tanh" not in COVERAGE["grad"]
