# hostile: a pytest plugin that turns every failure into a pass (ignored: --noconftest).
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
