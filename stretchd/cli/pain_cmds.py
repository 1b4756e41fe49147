"""CLI commands for pain: ``pain LEVEL`` (advice, notification, warnings), ``warnings``, and the stats section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from stretchd.cli import extensions, registry
from stretchd.cli.common import echo_json, load_context, poke_daemon

if TYPE_CHECKING:
    from stretchd.core.pain import PainFacts, PainWarning
    from stretchd.services import Context

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _warning_lines(warnings: list[PainWarning] | tuple[PainWarning, ...]) -> list[str]:
    return [f"! WARNING ({w.rule}, since {w.since.isoformat()}): {w.message} [{w.detail}]" for w in warnings]


# A negative LEVEL such as -1 would otherwise be taken for an unknown option.
@registry.command("pain", context_settings={"ignore_unknown_options": True})
def pain(
    level: Annotated[str, typer.Argument(help="How much it hurts now, 0 (none) to 10 (worst).", metavar="LEVEL")],
    where: Annotated[
        Optional[str],
        typer.Option(
            "--where",
            help="lower-back (default), hip, buttock, groin, thigh, leg or other. "
            "An answer to a check-in keeps the area of the report it answers.",
            show_default=False,
        ),
    ] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="A short note.", show_default=False)] = None,
    at: Annotated[
        Optional[str],
        typer.Option(
            "--at", help="When: HH:MM, 'yesterday HH:MM', -90m, -2h, or an ISO date/time.", show_default=False
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Report back pain and get the stretch to do now.

    Also sends a notification, and shows any warning sign.
    """
    from stretchd import pain as pain_service
    from stretchd import render

    value = pain_service.check_level_text(level)
    pain_service.check_area(where)
    ctx = load_context()
    result = pain_service.report_pain(ctx, value, where, note, at)
    delivery = pain_service.notify(ctx, pain_service.report_notification(result))
    poke_daemon(ctx.paths, "pain reported")
    if as_json:
        adv = result.advice
        echo_json({
            "entry": result.entry.to_dict(),
            "answers": result.answered.uid if result.answered else None,
            "advice": {"routine": adv.routine.id, "severe": adv.severe, "lines": list(adv.lines)},
            "new_warnings": [w.to_dict() for w in result.new_warnings],
            "active_warnings": [w.to_dict() for w in result.active_warnings],
            "notification": {"outcome": delivery.outcome, "backend": delivery.backend, "detail": delivery.detail},
        })  # fmt: skip
        return
    e = result.entry
    line = f"Logged pain {e.level}/10 ({e.area}) at {e.at.strftime('%H:%M')}"
    if result.answered is not None and result.answered.level is not None:
        prev = result.answered
        line += f": how it feels after your {prev.at.strftime('%H:%M')} report ({prev.level}/10)"
    typer.echo(line + ".")
    for text in _warning_lines(result.new_warnings):
        typer.echo(text)
    older = len(result.active_warnings) - len(result.new_warnings)
    if older > 0:
        typer.echo(f"{older} earlier warning{'s' if older > 1 else ''} still active: see `stretchd warnings`.")
    typer.echo("")
    typer.echo("Do this now:")
    for text in result.advice.lines:
        typer.echo(f"  {text}")
    typer.echo("")
    typer.echo(render.routine_text(result.advice.routine))
    if delivery.outcome != "delivered":
        typer.echo("")
        typer.echo(f"(The desktop notification could not be shown: {delivery.detail or delivery.outcome}.)")


@registry.command("warnings")
def warnings(
    ack: Annotated[bool, typer.Option("--ack", help="Dismiss the active warnings until a rule fires again.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List (or dismiss) the active pain warnings.

    The warning signs: pain that continues, grows worse, or changes.
    """
    from stretchd import pain as pain_service

    ctx = load_context()
    if ack:
        gone = pain_service.ack_warnings(ctx)
        if as_json:
            echo_json({"dismissed": [w.to_dict() for w in gone]})
        elif gone:
            typer.echo(f"Dismissed {len(gone)} warning{'s' if len(gone) > 1 else ''}; "
                       "a warning comes back when its rule fires again.")  # fmt: skip
        else:
            typer.echo("No active warnings to dismiss.")
        return
    active = pain_service.active_warnings(ctx)
    if as_json:
        echo_json({"warnings": [w.to_dict() for w in active]})
        return
    if not active:
        typer.echo("No active warnings.")
        return
    for text in _warning_lines(active):
        typer.echo(text)
    typer.echo("Dismiss them with `stretchd warnings --ack`.")


# ---------------------------------------------------------------- stats section


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def pain_text(f: PainFacts, unicode: bool) -> str:
    from stretchd.core.pain import EFFECT_MIN_PAIRS, SPARK_DAYS, sparkline

    if f.last is None:
        return ""
    last = f.last
    lines = [
        "Pain",
        f"Last report  {last.level}/10 {last.area or ''}, {last.at.strftime('%Y-%m-%d %H:%M')}",
        f"Average      {_fmt(f.average_7d)} last 7 days, {_fmt(f.average_30d)} last 30 days (daily maxima)",
        f"Trend        {f.trend or 'not enough data yet'}",
        f"Last {SPARK_DAYS} days {sparkline([v for _, v in f.daily], unicode=unicode)}  (daily maxima, oldest first)",
    ]
    eff = f.effect
    if eff.average_change is None:
        lines.append(f"Stretching   not enough data yet ({eff.pairs} of {EFFECT_MIN_PAIRS} stretches with pain "
                     "before and after)")  # fmt: skip
    else:
        lines.append(f"Stretching   pain changed by {eff.average_change:+.1f} on average (after minus before, "
                     f"{eff.pairs} stretches)")  # fmt: skip
    lines += _warning_lines(f.warnings)
    return "\n".join(lines)


def _stats_json(ctx: Context) -> dict[str, Any]:
    from stretchd import pain as pain_service

    return {"pain": pain_service.facts(ctx).to_dict()}


def _stats_text(ctx: Context) -> str:
    import sys

    from stretchd import pain as pain_service

    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return pain_text(pain_service.facts(ctx), unicode=encoding.startswith("utf8"))


extensions.STATS_JSON.append(_stats_json)
extensions.STATS_TEXT.append(_stats_text)
