"""Fixtures shared by both test folders (tests/, bench/tests/): the running servers of harness.fixtures.

``pytest_plugins`` must live in this top-level conftest: pytest refuses it in a nested one
whenever that conftest is found during collection (e.g. ``pytest .``).
"""

pytest_plugins = ["harness.fixtures"]
