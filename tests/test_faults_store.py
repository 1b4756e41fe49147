"""Fault injection on the history file: SIGKILL mid-write, full disks, read-only storage, corrupt files."""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, run_stretchd, stretchd_env
from tests.proof_support import data_file, leftovers, make_history, python_worker, stored

pytestmark = pytest.mark.fault

# ---------------------------------------------------------------- SIGKILL at random moments

# Logs stretches forever; prints each uid only after log_stretch returned (= success reported).
KILLABLE_WRITER = """
import sys
from stretchd.services import Context, log_stretch
lane = sys.argv[1]
ctx = Context.load()
i = 0
while True:
    entry, _ = log_stretch(ctx, routine="deep", at=None, note=f"{lane}-{i}")
    sys.stdout.write(entry.uid + "\\n")
    sys.stdout.flush()
    i += 1
"""


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_an_acknowledged_write(home: Path) -> None:
    lanes, kills_per_lane = 4, 30
    acked: set[str] = set()
    lock = threading.Lock()
    problems: list[str] = []
    kills = [0]
    rng = random.Random(20261124)
    seeds = [rng.random() for _ in range(lanes)]

    def check(after: str) -> None:
        with lock:
            must_hold = set(acked)  # snapshot first: everything acknowledged before we read
        try:
            uids = {doc["uid"] for doc in stored(home).get("entries", {}).values()}
        except FileNotFoundError:
            uids = set()
        except ValueError as exc:
            problems.append(f"after {after}: the data file is not valid JSON: {exc}")
            return
        missing = must_hold - uids
        if missing:
            problems.append(f"after {after}: {len(missing)} acknowledged writes missing")

    def lane(n: int) -> None:
        lane_rng = random.Random(seeds[n])
        for k in range(kills_per_lane):
            proc = python_worker(KILLABLE_WRITER, f"L{n}", home=home, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
            assert proc.stdout is not None
            if lane_rng.random() < 0.2:
                time.sleep(lane_rng.uniform(0.0, 0.25))  # anywhere, start-up and first write included
            else:
                first = proc.stdout.readline()  # it is writing in its loop now
                if first.endswith("\n"):
                    with lock:
                        acked.add(first.strip())
                time.sleep(lane_rng.uniform(0.0, 0.06))
            proc.send_signal(signal.SIGKILL)
            rest = proc.stdout.read()
            proc.wait()
            lines = rest.split("\n")
            with lock:
                acked.update(line for line in lines[:-1] if line)  # the last piece may be cut short
                kills[0] += 1
            check(f"kill {k} of lane {n}")

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kills[0] >= 100
    assert problems == []
    check("the end")
    assert problems == []
    assert len(acked) > kills[0]  # the writers did get work done between kills
    # The CLI still reads the history after all that, and so does a new writer.
    env = stretchd_env(STRETCHD_HOME=str(home))
    r = run_stretchd("history", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert acked <= {e["id"] for e in json.loads(r.stdout)}
    assert run_stretchd("done", env=env).returncode == 0
    orphans = [name for name in leftovers(home) if name.endswith(".tmp")]
    print(f"\n{kills[0]} kills, {len(acked)} acknowledged writes, all present; {len(orphans)} orphaned temp files")


@pytest.mark.slow
def test_sigkill_of_real_cli_done_processes_never_loses_a_reported_write(home: Path) -> None:
    """`python -m stretchd done --json` killed at random moments (start-up, lock, write, replace), 40 times."""
    env = stretchd_env(STRETCHD_HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    acked: set[str] = set()
    killed = 0
    rng = random.Random(7)
    started = time.perf_counter()
    first = run_stretchd("done", "--json", env=env)
    typical = time.perf_counter() - started  # kill delays scale with this machine's speed
    assert first.returncode == 0, first.stderr
    acked.add(json.loads(first.stdout)["entry"]["id"])
    for _ in range(40):
        proc = subprocess.Popen([sys.executable, "-m", "stretchd", "done", "--json"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        time.sleep(rng.uniform(0.2, 1.6) * typical)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        if proc.returncode == 0:  # it reported success before the kill
            acked.add(json.loads(out)["entry"]["id"])
        else:
            assert proc.returncode == -signal.SIGKILL, err
            killed += 1
        uids = {doc["uid"] for doc in stored(home).get("entries", {}).values()} if data_file(home).exists() else set()
        assert acked <= uids
    assert killed >= 10  # kills landed (start-up, lock, write, replace); the first run always succeeds
    print(f"\n{killed} of 40 `stretchd done` processes killed, {len(acked)} reported success, all present")
    r = run_stretchd("history", "--json", env=env)
    assert r.returncode == 0 and acked <= {e["id"] for e in json.loads(r.stdout)}


# ---------------------------------------------------------------- disk full and write errors


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_clean_write_error(r: subprocess.CompletedProcess[str], expect: str, names: Path) -> None:
    assert r.returncode == 4, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("stretchd: error: ")
    assert str(names) in lines[0]
    assert expect in lines[0]
    assert r.stdout == ""


def test_file_size_limit_gives_a_clear_error_and_keeps_the_old_file(home: Path) -> None:
    """`ulimit -f` smaller than the history: the write fails with EFBIG (SIGXFSZ is ignored)."""
    make_history(home, 200)
    before = data_file(home).read_bytes()
    limit = len(before) // 2

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run(
        [sys.executable, "-m", "stretchd", "done"],
        env=stretchd_env(STRETCHD_HOME=str(home), PYTHONDONTWRITEBYTECODE="1"),
        preexec_fn=limit_file_size,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert_clean_write_error(r, "the file size limit was reached; the previous file is unchanged", data_file(home))
    assert data_file(home).read_bytes() == before
    assert leftovers(home) == []


def test_read_only_data_dir_gives_a_clear_error_and_keeps_the_old_file(home: Path) -> None:
    """chmod 0500 on the data dir. Root ignores permission bits, so as root the command runs in a
    user namespace as uid 1000 (`unshare --user --map-user=1000`): the files appear as its own and
    it has no capabilities, so the kernel enforces the mode bits as it would for any user."""
    make_history(home, 30)
    before = data_file(home).read_bytes()
    prefix: list[str] = []
    if os.geteuid() == 0:
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip("running as root and unshare(1) is missing: cannot make a directory unwritable")
        probe = subprocess.run([unshare, "--user", "--map-user=1000", "--map-group=1000", "true"],
                               capture_output=True, check=False)  # fmt: skip
        if probe.returncode != 0:
            pytest.skip(f"running as root and user namespaces are not available: {probe.stderr!r}")
        prefix = [unshare, "--user", "--map-user=1000", "--map-group=1000", "--"]
    (home / "data").chmod(0o500)
    try:
        env = stretchd_env(STRETCHD_HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
        r = subprocess.run([*prefix, sys.executable, "-m", "stretchd", "done"], env=env,
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert_clean_write_error(r, "permission denied; the previous file is unchanged", data_file(home))
        # Reading needs no write access: stats and history keep working.
        for args in (["stats"], ["history", "--json"]):
            ok = subprocess.run([*prefix, sys.executable, "-m", "stretchd", *args], env=env,
                                capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
            assert ok.returncode == 0, ok.stderr
    finally:
        (home / "data").chmod(0o700)
    assert data_file(home).read_bytes() == before
    assert leftovers(home) == []


# Runs inside a private mount namespace: a tiny tmpfs holds STRETCHD_HOME, first nearly full
# (ENOSPC), then remounted read-only (EROFS). Prints one JSON object with what happened.
TMPFS_SCENARIO = """
import hashlib, json, os, subprocess, sys
mnt, src, py = sys.argv[1], sys.argv[2], sys.executable
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k,mode=0700", "tmpfs", mnt], check=True)
os.makedirs(mnt + "/data", mode=0o700)
with open(src, "rb") as f:
    data = f.read()
with open(mnt + "/data/history.json", "wb") as f:
    f.write(data)
open(mnt + "/data/history.lock", "wb").close()
env = dict(os.environ, STRETCHD_HOME=mnt, PYTHONDONTWRITEBYTECODE="1")
def run(*args):
    r = subprocess.run([py, "-m", "stretchd", *args], env=env, capture_output=True, text=True)
    return {"code": r.returncode, "out": r.stdout, "err": r.stderr}
def state():
    with open(mnt + "/data/history.json", "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {"sha": digest, "files": sorted(os.listdir(mnt + "/data"))}
out = {"full_done": run("done"), "full_state": state(), "full_stats": run("stats")}
subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
out.update(ro_done=run("done"), ro_skip=run("skip"), ro_state=state(), ro_history=run("history", "--json"))
print(json.dumps(out))
"""


def test_full_disk_and_read_only_file_system_on_a_real_tmpfs(home: Path, tmp_path: Path) -> None:
    """Real ENOSPC and EROFS from a 96 KiB tmpfs in a private mount namespace (needs CAP_SYS_ADMIN)."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) to mount a private tmpfs")
    make_history(home, 170)  # ~52 KiB: the file fits in 96 KiB, a second copy of it does not
    src = data_file(home)
    assert 49_000 < src.stat().st_size < 90_000
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(
        [unshare, "--mount", "--propagation", "private", "--", sys.executable, "-c", TMPFS_SCENARIO, str(mnt), str(src)],
        env=stretchd_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if r.returncode != 0 and ("Operation not permitted" in r.stderr or "permission denied" in r.stderr.lower()):
        pytest.skip(f"no permission for a private tmpfs here: {r.stderr.strip()[-200:]}")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    original = sha(src)
    target = mnt / "data" / "history.json"

    full = res["full_done"]
    assert full["code"] == 4 and "Traceback" not in full["err"], full
    assert (
        full["err"].strip()
        == f"stretchd: error: could not write {target}: the disk is full; the previous file is unchanged"
    )
    assert res["full_state"] == {"sha": original, "files": ["history.json", "history.lock"]}
    assert res["full_stats"]["code"] == 0, res["full_stats"]

    for key in ("ro_done", "ro_skip"):
        ro = res[key]
        assert ro["code"] == 4 and "Traceback" not in ro["err"], ro
        assert ro["err"].count("\n") == 1 and "read-only" in ro["err"] and "nothing was written" in ro["err"], ro
    assert res["ro_state"]["sha"] == original
    assert res["ro_history"]["code"] == 0
    assert len(json.loads(res["ro_history"]["out"])) == 510


# ---------------------------------------------------------------- corrupt data files

CORRUPT = {
    "truncated JSON": b'{"entries":{"1":{"uid":"ab","kind":"stretch","at":"2026-01-0',
    "garbage": b"\x00\xff\xfe not json at all \x89PNG",
    "a JSON list": b'[{"uid":"ab","kind":"stretch","at":"2026-01-01T08:00:00+00:00"}]',
    "empty file": b"",
    "a table that is a list": b'{"entries":[]}',
    "newer schema": b'{"entries":{},"meta":{"1":{"schema":99}}}',
}
# Valid JSON, valid layout, but an entry that is not an entry.
MALFORMED = {
    "entry with a number for its time": b'{"entries":{"1":{"uid":"ab","kind":"stretch","at":12}}}',
    "entry without uid": b'{"entries":{"1":{"kind":"stretch","at":"2026-01-01T08:00:00+00:00"}}}',
    "entry that is a number": b'{"entries":{"1":5}}',
    "entry with a bad date": b'{"entries":{"1":{"uid":"ab","kind":"skip","at":"2026-01-01T08:00:00+00:00","day":"soon"}}}',
}


def command_matrix(tmp: Path) -> dict[str, list[str]]:
    export = tmp / "import-me.json"
    export.write_text(json.dumps([{"id": "feedbeef", "kind": "stretch", "at": "2026-01-01T08:00:00+00:00",
                                   "routine": "deep"}]))  # fmt: skip
    return {
        "done": ["done"],
        "stats": ["stats"],
        "history": ["history"],
        "undo --yes": ["undo", "--yes"],
        "skip": ["skip"],
        "import": ["import", str(export)],
        "export": ["export", "--format", "csv"],
    }


def check_refused(cli: Callable[..., CliResult], home: Path, tmp_path: Path, content: bytes) -> None:
    path = data_file(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, args in command_matrix(tmp_path).items():
        path.write_bytes(content)
        r = cli(*args)
        assert r.code == 3, (name, r)
        assert "Traceback" not in r.err
        first, *rest = r.err.strip().splitlines()
        assert first.startswith("stretchd: error: ") and str(path) in first, (name, r.err)
        # How to recover: a hint line (move the file aside / restore a backup, or upgrade).
        assert rest and rest[0].startswith("stretchd: hint: "), (name, r.err)
        assert "untouched" in r.err
        assert path.read_bytes() == content, f"{name} changed the corrupt file"
        assert leftovers(home) == [], name


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_data_file_every_command_refuses_and_leaves_it_untouched(
    cli: Callable[..., CliResult], home: Path, tmp_path: Path, case: str
) -> None:
    check_refused(cli, home, tmp_path, CORRUPT[case])


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_entry_every_command_refuses_and_leaves_it_untouched(
    cli: Callable[..., CliResult], home: Path, tmp_path: Path, case: str
) -> None:
    check_refused(cli, home, tmp_path, MALFORMED[case])


def test_malformed_entry_read_commands_refuse_cleanly(cli: Callable[..., CliResult], home: Path) -> None:
    """What already works with a malformed entry: the read-only commands give the clear error."""
    path = data_file(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    content = MALFORMED["entry with a number for its time"]
    path.write_bytes(content)
    for args in (["stats"], ["history", "--json"], ["undo", "--yes"], ["export"]):
        r = cli(*args)
        assert r.code == 3 and str(path) in r.err and "Traceback" not in r.err, (args, r)
    assert path.read_bytes() == content


def test_corrupt_file_error_as_a_real_process(home: Path) -> None:
    """The same through `python -m stretchd`: one error line, one hint, exit 3, no traceback."""
    path = data_file(home)
    path.parent.mkdir(mode=0o700, parents=True)
    path.write_bytes(CORRUPT["truncated JSON"])
    r = run_stretchd("done", env=stretchd_env(STRETCHD_HOME=str(home)))
    assert r.returncode == 3
    assert r.stderr.startswith(f"stretchd: error: {path} is corrupt")
    assert f"mv {path} {path}.broken" in r.stderr
    assert "Traceback" not in r.stderr
    assert path.read_bytes() == CORRUPT["truncated JSON"]


# ---------------------------------------------------------------- broken config files

BROKEN_CONFIG = {
    "invalid TOML": b"daily_target = [\n",
    "wrong types": b'daily_target = "lots"\n[reminder]\nnudge_minutes = -5\n',
    "binary garbage": b"\xff\xfe\x00\x01garbage",
    "reminders not a list": b'reminders = "08:00"\n',
}


@pytest.mark.parametrize("case", list(BROKEN_CONFIG))
def test_broken_config_every_command_refuses_and_nothing_is_written(
    cli: Callable[..., CliResult], home: Path, case: str
) -> None:
    make_history(home, 3)
    history = data_file(home).read_bytes()
    config = home / "config" / "config.toml"
    config.parent.mkdir(mode=0o700, exist_ok=True)
    config.write_bytes(BROKEN_CONFIG[case])
    for args in (["done"], ["stats"], ["skip"], ["config", "set", "daily_target", "3"], ["schedule", "add", "12:00"],
                 ["schedule", "remove", "08:00"]):  # fmt: skip
        r = cli(*args)
        assert r.code == 2, (case, args, r)
        assert "Traceback" not in r.err
        assert r.err.startswith("stretchd: error: ") and str(config) in r.err.splitlines()[0], (args, r.err)
        assert config.read_bytes() == BROKEN_CONFIG[case], f"{args} rewrote a broken config"
        assert data_file(home).read_bytes() == history, f"{args} wrote history despite a broken config"
