"""Fixtures shared by both test folders (tests/, bench/tests/): the running servers of harness.fixtures.

``pytest_plugins`` must live in this top-level conftest: pytest refuses it in a nested one
whenever that conftest is found during collection (e.g. ``pytest .``).
"""

from harness.telemetry import telemetry_off_by_default

pytest_plugins = ["harness.fixtures"]

# Rasa in the test process and every server or command the tests start: no telemetry unless
# RASA_TELEMETRY_ENABLED says otherwise.
telemetry_off_by_default()
