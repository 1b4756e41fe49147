"""The lazy command table stays true: every command is found in the module that defines it."""

from __future__ import annotations

import importlib

from stretchd.cli import COMMAND_MODULES, FEATURE_MODULES, build_app
from stretchd.cli.registry import OWNERS


def test_every_registered_command_is_in_the_table_with_its_module() -> None:
    for module in FEATURE_MODULES:
        importlib.import_module(f"stretchd.cli.{module}")
    assert {name: f"stretchd.cli.{mod}" for name, mod in COMMAND_MODULES.items()} == OWNERS


def test_the_full_app_lists_every_command() -> None:
    import typer

    group = typer.main.get_command(build_app())
    assert set(group.commands) == set(COMMAND_MODULES)  # type: ignore[attr-defined]
