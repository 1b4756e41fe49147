"""Extension points other features plug into (e.g. the pain section of ``stats``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stretchd.services import Context

# Modules that add to the lists below when imported (commands load lazily, so ``stats`` imports them).
STATS_PROVIDERS: tuple[str, ...] = ("stretchd.cli.pain_cmds",)

# Each returns keys merged into ``stats --json``.
STATS_JSON: list[Callable[[Context], dict[str, Any]]] = []
# Each returns a block of text printed after the stats, or "" for nothing.
STATS_TEXT: list[Callable[[Context], str]] = []


def load_stats_providers() -> None:
    import importlib

    for module in STATS_PROVIDERS:
        importlib.import_module(module)
