"""The README says what the code does."""

from __future__ import annotations

import argparse
import inspect
import re

from services.cli import parser
from services.settings import PROJECT_ROOT, Settings
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


def test_readme_lists_every_okr_command() -> None:
    """`okr users reset-password` was in the CLI and not in the README's table of commands:
    an operator reads that table to learn what the command line can do."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("## The `okr` command", 1)[1].split("\n\n", 2)[1]
    for command in okr_commands(parser()):
        assert f"| `okr {command}" in table, command


def okr_commands(cli: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """Every leaf command of the parser, as typed ("projections rebuild")."""
    found = []
    for action in cli._actions:  # argparse keeps its sub-parsers there only
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += okr_commands(sub, f"{prefix}{name} ") or [f"{prefix}{name}"]
    return found


def test_every_okr_command_s_help_says_what_it_does() -> None:
    """`okr migrate --help` said only its usage line, and so did every other command's own
    help: what a command does was said only in the list of `okr --help`."""
    for command in okr_commands(parser()):
        cli = parser()
        for word in command.split():
            cli = next(
                a.choices[word]
                for a in cli._actions
                if isinstance(a, argparse._SubParsersAction)  # argparse keeps them there only
            )
        assert cli.description and cli.description in " ".join(cli.format_help().split()), command


def test_readme_configuration_names_every_variable_the_settings_read() -> None:
    """An operator learns what can be set from the README's Configuration table alone."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    read = set(re.findall(r'"((?:OKR_|DATABASE_)[A-Z_]+)"', inspect.getsource(Settings.from_env)))
    assert len(read) > 20
    for name in sorted(read):
        assert f"`{name}`" in table, name
