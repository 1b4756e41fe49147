"""The core stays pure (STYLE.md) and `stretchd done` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import stretchd_env

CORE = Path(__file__).resolve().parent.parent / "stretchd" / "core"
FORBIDDEN_IN_CORE = {"tinydb", "plyer", "apscheduler", "jeepney", "typer", "click", "rich", "tomlkit", "os",
                     "subprocess", "socket", "pathlib", "time"}  # fmt: skip


def test_core_imports_no_io_or_third_party_modules() -> None:
    offenders = []
    for path in sorted(CORE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN_IN_CORE]
    assert offenders == []


def test_core_functions_never_read_the_clock() -> None:
    for path in sorted(CORE.glob("*.py")):
        text = path.read_text()
        assert ".now(" not in text and "today()" not in text, path.name


def test_done_does_not_import_the_scheduler_dbus_or_the_renderer() -> None:
    code = (
        "import sys; from stretchd.cli import main; rc = main(['done']); "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'apscheduler', 'jeepney', 'rich', 'plyer', "
        "'tomlkit', 'tzlocal', 'pydantic'}); print(rc, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=stretchd_env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
