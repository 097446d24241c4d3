"""Fixtures shared by the whole suite live in one module per external system."""

pytest_plugins = ["tests.fixtures_pg", "tests.fixtures_zoho", "tests.fixtures_lake", "tests.fixtures_demo"]
