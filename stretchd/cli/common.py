"""Helpers shared by the CLI command modules (cheap to import)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from stretchd.paths import Paths
    from stretchd.services import Context


def load_context() -> Context:
    from stretchd.services import Context

    return Context.load()


def printable(text: str) -> str:
    """Control characters shown escaped (``\\x1b``): text quoting user input or a file can then
    neither break an error's one line nor reach the terminal as escape sequences."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def poke_daemon(paths: Paths, reason: str) -> bool:
    """Best effort: a running daemon re-reads config and history at once."""
    if not paths.control_socket.exists():
        return False
    from stretchd.control import poke

    return poke(paths, reason)
