"""Extension points other features plug into (e.g. the pain section of ``stats``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stretchd.services import Context

# Each returns keys merged into ``stats --json``.
STATS_JSON: list[Callable[[Context], dict[str, Any]]] = []
# Each returns a block of text printed after the stats, or "" for nothing.
STATS_TEXT: list[Callable[[Context], str]] = []
