"""The one path resolver: where config, data and the runtime socket live."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

APP = "stretchd"


class Paths(NamedTuple):
    """Every location stretchd reads or writes."""

    config_dir: Path
    data_dir: Path
    runtime_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def data_file(self) -> Path:
        return self.data_dir / "history.json"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "history.lock"

    @property
    def config_lock_file(self) -> Path:
        return self.config_dir / ".config.lock"

    @property
    def control_socket(self) -> Path:
        return self.runtime_dir / "control.sock"

    @property
    def daemon_lock_file(self) -> Path:
        return self.runtime_dir / "daemon.lock"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    # The XDG spec says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def resolve() -> Paths:
    """Resolve paths from ``STRETCHD_HOME`` or the XDG variables (platformdirs off Linux)."""
    home = os.environ.get("STRETCHD_HOME")
    if home:
        root = Path(home).expanduser().absolute()
        return Paths(root / "config", root / "data", root / "run")
    if os.name == "posix" and sys.platform != "darwin":  # Linux and the BSDs follow XDG
        config = _xdg("XDG_CONFIG_HOME", ".config") / APP
        data = _xdg("XDG_DATA_HOME", ".local/share") / APP
        runtime_env = os.environ.get("XDG_RUNTIME_DIR", "")
        runtime = Path(runtime_env) / APP if os.path.isabs(runtime_env) else data / "run"
        return Paths(config, data, runtime)
    import platformdirs  # only off Linux: it is not free to import

    data = Path(platformdirs.user_data_dir(APP, appauthor=False))
    return Paths(Path(platformdirs.user_config_dir(APP, appauthor=False)), data, data / "run")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; tighten an existing one we own."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_mode & 0o077 and st.st_uid == os.getuid():
        path.chmod(0o700)
    return path
