"""CLI commands for the service feature (filled in by its issue)."""

from __future__ import annotations

from stretchd.cli import registry  # noqa: F401  (commands register with @registry.command)
