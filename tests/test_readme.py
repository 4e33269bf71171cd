"""The README says what the code does."""

from __future__ import annotations

from services.settings import PROJECT_ROOT
from tenants.roles import permission_table_markdown


def test_readme_permission_table_is_the_one_the_guards_use() -> None:
    """A permission table that drifts from the guards would mislead every admin who reads it."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert permission_table_markdown().strip() in readme


def test_readme_starts_with_the_run_and_test_commands() -> None:
    """The first block of the README is what a newcomer types: run, then test."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "python3 dev.py serve" in first_block
    assert "python3 dev.py test" in first_block
