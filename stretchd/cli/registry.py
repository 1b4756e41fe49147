"""Where each feature's module registers its commands, so ``main`` builds only the one it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])
ADDERS: dict[str, Callable[[typer.Typer], None]] = {}
OWNERS: dict[str, str] = {}  # command name -> the module that registered it


def command(name: str, **kwargs: Any) -> Callable[[F], F]:
    """Register a top-level command (like ``app.command``), added to the app on demand."""

    def decorate(fn: F) -> F:
        def add(app: typer.Typer) -> None:
            app.command(name, **kwargs)(fn)

        ADDERS[name] = add
        OWNERS[name] = fn.__module__
        return fn

    return decorate


def group(name: str, sub_app: typer.Typer) -> None:
    """Register a sub-command group such as ``config`` or ``schedule``."""
    import inspect

    ADDERS[name] = lambda app: app.add_typer(sub_app, name=name)
    caller = inspect.currentframe()
    OWNERS[name] = caller.f_back.f_globals["__name__"] if caller and caller.f_back else "?"
