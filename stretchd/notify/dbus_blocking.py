"""Blocking, one-shot calls to org.freedesktop.Notifications over the session bus (jeepney)."""

from __future__ import annotations

import os
from typing import Any

from stretchd.notify import APP_NAME, ICON, Delivery, Notification, ServerInfo, escape_markup

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
TIMEOUT = 5.0


def _address() -> Any:
    from jeepney import DBusAddress

    return DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)


def notify_args(n: Notification, info: ServerInfo | None) -> tuple[Any, ...]:
    """Arguments of Notify(susssasa{sv}i), adapted to what the server can do."""
    body = escape_markup(n.body) if info is None or info.markup else n.body
    actions: list[str] = []
    if info is not None and info.actions:
        for key, label in n.actions:
            actions += [key, label]
    hints = {  # jeepney writes a variant as (signature, value)
        "urgency": ("y", n.urgency),
        "category": ("s", n.category),
        "desktop-entry": ("s", APP_NAME),
    }
    icon = str(ICON) if ICON.exists() else "dialog-information"
    # The summary is never parsed as markup (freedesktop spec), only the body.
    return (APP_NAME, n.replaces_id, icon, n.summary, body, actions, hints, max(0, n.expire_ms))


def server_info(conn: Any = None) -> ServerInfo:
    """Name, version and capabilities of the notification server; raises OSError/DBusErrorResponse."""
    from jeepney import new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    own = conn is None
    conn = conn or open_dbus_connection(bus="SESSION")
    try:
        addr = _address()
        # unwrap_msg raises DBusErrorResponse for an error reply (e.g. ServiceUnknown).
        name, vendor, version, spec = unwrap_msg(
            conn.send_and_get_reply(new_method_call(addr, "GetServerInformation"), timeout=TIMEOUT)
        )
        (caps,) = unwrap_msg(conn.send_and_get_reply(new_method_call(addr, "GetCapabilities"), timeout=TIMEOUT))
        return ServerInfo(name, vendor, version, spec, tuple(caps))
    finally:
        if own:
            conn.close()


def send(n: Notification) -> Delivery:
    """One Notify call on a fresh connection; the Delivery says delivered, no-server or error."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not os.path.exists(f"/run/user/{os.getuid()}/bus"):
        return Delivery("no-server", "dbus", detail="no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    try:
        from jeepney import DBusErrorResponse, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg
    except ImportError as exc:  # pragma: no cover - jeepney is a dependency
        return Delivery("error", "dbus", detail=f"jeepney is missing: {exc}")
    try:
        conn = open_dbus_connection(bus="SESSION")
    except (OSError, ValueError, KeyError) as exc:
        return Delivery("no-server", "dbus", detail=f"cannot connect to the session bus: {exc}")
    try:
        try:
            info = server_info(conn)
        except DBusErrorResponse as exc:
            return Delivery("no-server", "dbus", detail=f"no notification server on the session bus ({exc.name})")
        (nid,) = unwrap_msg(
            conn.send_and_get_reply(
                new_method_call(_address(), "Notify", "susssasa{sv}i", notify_args(n, info)), timeout=TIMEOUT
            )
        )
        return Delivery("delivered", "dbus", int(nid), detail=f"{info.name} {info.version}")
    except DBusErrorResponse as exc:
        return Delivery("error", "dbus", detail=f"Notify failed: {exc.name}: {exc.data}")
    except (OSError, TimeoutError, ValueError) as exc:
        return Delivery("error", "dbus", detail=f"Notify failed: {exc}")
    finally:
        conn.close()
