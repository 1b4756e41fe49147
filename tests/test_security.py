"""Security checks that need no daemon: private file modes, no shell anywhere, markup escaped."""

from __future__ import annotations

import ast
import html
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import REPO, CliResult, stretchd_env

PACKAGE = REPO / "stretchd"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private_tree(home: Path) -> None:
    seen = 0
    for root, dirs, files in os.walk(home):
        for d in dirs:
            assert mode(Path(root, d)) == 0o700, Path(root, d)
        for f in files:
            assert mode(Path(root, f)) == 0o600, Path(root, f)
            seen += 1
    assert seen > 0


def test_files_0600_and_dirs_0700_after_done_config_set_and_export(cli: Callable[..., CliResult], home: Path) -> None:
    assert cli("done").code == 0
    assert cli("config", "set", "reminder.nudge_minutes", "15").code == 0
    assert cli("schedule", "add", "12:30").code == 0
    assert cli("export", "-o", str(home / "data" / "backup.json")).code == 0
    assert (home / "data" / "history.json").exists() and (home / "config" / "config.toml").exists()
    assert_private_tree(home)


def test_private_modes_hold_even_with_umask_000(home: Path) -> None:
    """A permissive umask (a misconfigured session) must not make the history world-readable."""
    env = stretchd_env(STRETCHD_HOME=str(home / "fresh"))
    for args in (["done"], ["config", "set", "daily_target", "3"], ["export", "-o", str(home / "fresh" / "e.csv")]):
        r = subprocess.run([sys.executable, "-m", "stretchd", *args], env=env, capture_output=True, text=True,
                           preexec_fn=lambda: os.umask(0), check=False, timeout=60)  # fmt: skip
        assert r.returncode == 0, r.stderr
    assert_private_tree(home / "fresh")


def test_export_file_is_private(cli: Callable[..., CliResult], home: Path, tmp_path: Path) -> None:
    assert cli("done").code == 0
    target = tmp_path / "out" / "history.csv"
    target.parent.mkdir()
    r = cli("export", "--format", "csv", "-o", str(target))
    assert r.code == 0 and "0600" in r.out
    assert mode(target) == 0o600


def test_export_leaves_the_users_directory_mode_alone(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    assert cli("done").code == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    assert cli("export", "-o", str(shared / "history.json")).code == 0
    assert mode(shared / "history.json") == 0o600
    assert mode(shared) == 0o755


def python_sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    return files


def test_no_shell_is_ever_used_to_run_anything() -> None:
    """No shell=True (other than a literal False), os.system, os.popen or subprocess.getoutput in the package."""
    offenders = []
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    offenders.append(f"{path}:{node.lineno}: shell={ast.unparse(kw.value)}")
            func = ast.unparse(node.func)
            if func in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "system",
                        "popen", "pty.spawn", "os.execlp", "os.spawnlp"):  # fmt: skip
                offenders.append(f"{path}:{node.lineno}: {func}(...)")
    assert offenders == []


def test_the_shell_check_would_catch_one(tmp_path: Path) -> None:
    """The AST check above is not vacuous: it sees shell=True written the ways people write it."""
    src = "import subprocess, os\nsubprocess.run('x', shell=True)\nsubprocess.Popen(['x'], shell=1)\nos.system('x')\n"
    tree = ast.parse(src)
    hits = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
        any(k.arg == "shell" for k in n.keywords) or ast.unparse(n.func) == "os.system")]  # fmt: skip
    assert len(hits) == 3


def test_no_network_modules_in_the_package() -> None:
    """stretchd talks to nothing but local files, the D-Bus session/system bus and its own unix socket."""
    banned = ("urllib.request", "http.client", "requests", "httpx", "aiohttp", "ftplib", "smtplib")
    found = []
    for path in python_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path}: {n}" for n in names if n.startswith(banned)]
    assert found == []


@given(st.text())
def test_escape_markup_leaves_no_markup(text: str) -> None:
    from stretchd.notify import escape_markup

    escaped = escape_markup(text)
    assert "<" not in escaped and ">" not in escaped
    assert escaped.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0
    assert html.unescape(escaped) == text
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text
