"""The README says what the code does."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
from decimal import Decimal
from pathlib import Path

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
    rows = configuration_rows()
    read = set(re.findall(r'"((?:OKR_|DATABASE_)[A-Z_]+)"', inspect.getsource(Settings.from_env)))
    assert len(read) > 20
    for name in sorted(read):
        assert name in rows, name


def configuration_rows() -> dict[str, str]:
    """The Configuration table's variables, each with its default as the table gives it:
    a row of two (`OKR_POOL_MIN` / `OKR_POOL_MAX`) gives two defaults the same way."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        names = re.findall(r"`(\w+)`", cells[0])
        defaults = cells[1].split(" / ")
        if len(defaults) != len(names):
            defaults = defaults[:1] * len(names)  # "unset" for both
        rows |= dict(zip(names, defaults, strict=True))
    return rows


def field_of(variable: str) -> str:
    """The Settings field a variable sets: its name without OKR_, in lower case."""
    return variable.removeprefix("OKR_").lower()


def test_readme_configuration_names_only_variables_the_settings_read() -> None:
    """A variable the table names that nothing reads would be set by an operator, and do
    nothing; each table row is read by Settings.from_env into the field of its name, and
    every field of Settings is in the table."""
    rows = configuration_rows()
    reader = inspect.getsource(Settings.from_env)
    for name in rows:
        assert f'"{name}"' in reader, name
    assert {field_of(name) for name in rows} == {f.name for f in dataclasses.fields(Settings)}


def test_readme_configuration_gives_each_variable_its_real_default() -> None:
    """The table said `10` and `12` for two settings that take fractions: each default is the
    one Settings has, written as the setting is (a point where it may have a fraction, `1`
    or `0` for a switch, "unset" or how it is derived where there is none)."""
    defaults = Settings.from_env({})
    for name, cell in configuration_rows().items():
        value = getattr(defaults, field_of(name))
        written = re.match(r"`([^`]*)`", cell)
        if value is None:
            assert written is None, (name, cell)
            continue
        assert written is not None, (name, cell)
        text = written.group(1)
        if isinstance(value, bool):
            assert text == ("1" if value else "0"), name
        elif isinstance(value, Path):
            assert PROJECT_ROOT / text == value, name
        elif isinstance(value, float):
            assert "." in text and Decimal(text) == Decimal(str(value)), name
        else:
            assert text == str(value), name


INTERNAL = {"OKR_PROJECTOR_DSN", "OKR_PROJECTOR_REPORT_FD"}
"""What `okr serve` tells its projector process (services.projector_process): no settings."""


def test_every_okr_variable_the_code_names_is_in_the_configuration_table() -> None:
    """A variable read outside Settings (os.environ in some module) would be one an
    operator cannot learn of: every OKR_ name the code says is the table's, or okr serve's
    own for its child (the README says which)."""
    rows = configuration_rows()
    readme = (PROJECT_ROOT / "README.md").read_text()
    for package in ("domain", "projections", "services", "tenants"):
        for module in (PROJECT_ROOT / package).rglob("*.py"):
            for name in set(re.findall(r"\bOKR_[A-Z_]+\b", module.read_text())):
                assert name in rows or (name in INTERNAL and f"`{name}`" in readme), (
                    module,
                    name,
                )
