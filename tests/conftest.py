"""Test session setup: GL is required (no silent cpu fallback), and at the end of a full run
every registered kernel must have been checked by check_op on both backends (and, when
differentiable, for gradients and against finite differences)."""
import os
import sys

os.environ.setdefault("GLFLOW_BACKEND", "gl")
sys.path.insert(0, os.path.dirname(__file__))

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

import glflow  # noqa: E402,F401
from glflow.runtime import registry as kernels  # noqa: E402

# Hypothesis draws the same examples in every run by default (derandomize: a seed from each
# test's name), so a failure in CI reproduces anywhere; HYPOTHESIS_PROFILE=explore draws fresh
# ones for a local hunt. print_blob: a failure prints the line that replays it.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _gl_backend():
    """Every test starts on the GL backend, whatever the previous test switched to."""
    glflow.set_backend("gl")
    yield
    glflow.set_backend("gl")


def missing_coverage():
    from helpers import COVERAGE
    problems = []
    for name, k in sorted(kernels.REGISTRY.items()):
        needs = ["gl", "cpu"] + (["grad", "finite_difference"] if k.differentiable else [])
        lacking = [n for n in needs if name not in COVERAGE[n]]
        if lacking:
            problems.append(f"{name}: not checked for {', '.join(lacking)}")
    return problems


def _full_run(session):
    opt = session.config.option
    if (opt.keyword or opt.markexpr or getattr(opt, "deselect", None)
            or getattr(opt, "lf", False)):
        return False
    args = [os.path.basename(os.path.normpath(a)) for a in session.config.args]
    return args in ([], ["tests"])


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if exitstatus != 0 or not _full_run(session) or session.testsfailed:
        return
    problems = missing_coverage()
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line("kernel registry coverage FAILED:", red=True)
        for line in problems:
            reporter.write_line("  " + line, red=True)
        session.exitstatus = 1
