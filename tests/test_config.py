"""Configuration: the documented example, every error at once with its line, comment-keeping edits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from pathlib import Path

import pytest

from stretchd import config
from stretchd.errors import ConfigError
from tests.conftest import CliResult

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config" / "config.toml"


def test_the_shipped_example_is_the_generated_one_and_loads_to_the_defaults() -> None:
    assert EXAMPLE.read_text() == config.example_text(), "regenerate config/config.toml from the spec"
    settings = config.load(EXAMPLE)
    assert settings.values == config.defaults().values
    assert [(r.label, r.routine) for r in settings.reminders] == [("08:00", "deep"), ("18:00", "deep")]
    assert settings.daily_target == 2
    assert settings.warnings == ()


def test_every_setting_is_documented_in_the_example() -> None:
    text = EXAMPLE.read_text()
    for spec in config.SPECS:
        assert f"{spec.key.rpartition('.')[2]} = " in text


def test_missing_file_means_defaults_and_nothing_is_written(tmp_path: Path) -> None:
    settings = config.load(tmp_path / "nope.toml")
    assert settings.daily_target == 2
    assert not (tmp_path / "nope.toml").exists()


def test_every_error_is_reported_at_once_with_key_path_and_line() -> None:
    text = """daily_target = 0

[[reminders]]
time = "25:00"
routine = "deep"

[[reminders]]
time = "8pm"
routine = "yoga"

[reminder]
nudge_minutes = "thirty"
colour = "blue"
"""
    with pytest.raises(ConfigError) as err:
        config.parse_text(text, "cfg.toml")
    problems = err.value.problems
    assert any(p.startswith("daily_target (line 1)") for p in problems)
    assert any(p.startswith("reminders[0].time (line 4)") and "25:00" in p for p in problems)
    assert any(p.startswith("reminders[1].routine (line 9)") and "yoga" in p for p in problems)
    assert any(p.startswith("reminder.nudge_minutes (line 12)") for p in problems)
    assert len(problems) == 4


def test_unknown_keys_are_warnings_not_errors() -> None:
    settings = config.parse_text('[reminder]\ncolour = "blue"\n')
    assert settings.warnings == ("reminder.colour (line 2): unknown key, ignored",)


def test_syntax_errors_say_where() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        config.parse_text("[reminder]\nnudge_minutes = = 3\n")


def test_all_time_forms_and_explicit_target() -> None:
    settings = config.parse_text(
        'daily_target = 3\n[[reminders]]\ntime = "6:30pm"\n[[reminders]]\ntime = "07:00:15"\nroutine = "gentle"\n'
    )
    assert [r.time for r in settings.reminders] == [time(7, 0, 15), time(18, 30)]
    assert settings.daily_target == 3


def test_duplicate_times_are_an_error() -> None:
    with pytest.raises(ConfigError, match="listed twice"):
        config.parse_text('[[reminders]]\ntime = "08:00"\n[[reminders]]\ntime = "8am"\n')


def test_edits_keep_the_users_comments() -> None:
    text = "# my settings\n[reminder]\n# I like it short\nnudge_minutes = 30 # inline\n"
    out = config.edit_text(text, set_key="reminder.nudge_minutes", value=15)
    assert "# my settings" in out and "# I like it short" in out
    assert config.parse_text(out)["reminder.nudge_minutes"] == 15
    out = config.edit_text(out, set_key="pain.severe", value=6)
    assert config.parse_text(out)["pain.severe"] == 6


def test_removing_every_reminder_does_not_bring_the_defaults_back() -> None:
    out = config.edit_text(config.example_text(), reminders=())
    assert config.parse_text(out).reminders == ()


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("reminder.nudge_minutes", "abc", "whole number"),
        ("reminder.nudge_minutes", "0", "between 1 and 720"),
        ("pain.severe", "11", "between 1 and 10"),
        ("pain.worse_delta", "nan", "finite"),
        ("guide.bell", "maybe", "true or false"),
        ("notifications.backend", "smoke", "one of"),
        ("no.such", "1", "unknown config key"),
        ("reminders", "x", "stretchd schedule"),
    ],
)
def test_cli_values_are_checked_against_the_spec(key: str, raw: str, message: str) -> None:
    from stretchd.errors import UsageError

    with pytest.raises(UsageError, match=message):
        config.coerce_cli_value(key, raw)


def test_config_check_escapes_control_characters_from_the_file(cli: Callable[..., CliResult]) -> None:
    from stretchd.paths import resolve

    path = resolve().config_file
    path.parent.mkdir(parents=True)
    path.write_text('[reminder]\n"\\u001b[2Jcolour" = 1\n')  # a quoted key holding ESC (a TOML escape)
    r = cli("config", "check")
    assert r.code == 0
    assert "\x1b" not in r.err
    assert "warning: reminder.\\x1b[2Jcolour: unknown key, ignored" in r.err
