"""The README's promises that a test can keep: its --help excerpt and its set-up commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
CI_RUN = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()


def test_the_help_excerpt_is_what_stretchd_prints(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    match = re.search(r"```console\n\$ stretchd --help\n(.*?)```", README, re.S)
    assert match, "README has no `stretchd --help` excerpt"
    result = cli("--help")
    assert result.code == 0
    assert match.group(1).rstrip() == result.out.rstrip()


def test_ci_runs_the_readme_test_command() -> None:
    assert "python3 -m pytest -q" in README
    assert re.search(r"^python3 -m pytest -q$", CI_RUN, re.M), ".ci/run must call the README's test command"


def test_the_set_up_installs_and_starts_with_init() -> None:
    assert "python3 -m pip install . && stretchd init" in README
