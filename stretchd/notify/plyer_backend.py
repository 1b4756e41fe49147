"""The portable fallback: plyer, with every failure turned into a Delivery instead of an exception."""

from __future__ import annotations

from stretchd.notify import APP_NAME, ICON, Delivery, Notification


def send(n: Notification) -> Delivery:
    """plyer has no buttons and ignores failures of notify-send (FINDINGS.md); we catch what we can."""
    import warnings

    try:
        from plyer import notification as plyer_notification
    except ImportError as exc:
        return Delivery("error", "plyer", detail=f"plyer is not installed: {exc}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # plyer warns about optional backends it did not find
            plyer_notification.notify(
                title=n.summary,
                message=n.body,
                app_name=APP_NAME,
                app_icon=str(ICON),
                timeout=max(1, n.expire_ms // 1000) if n.expire_ms else 600,
            )
    except NotImplementedError:
        return Delivery("no-server", "plyer", detail="plyer has no notification backend on this system")
    except Exception as exc:  # plyer raises whatever its platform backend raises
        return Delivery("error", "plyer", detail=f"{type(exc).__name__}: {exc}")
    # plyer cannot tell whether the message was shown; report what we know.
    return Delivery("delivered", "plyer", detail="handed to plyer (delivery cannot be confirmed)")
