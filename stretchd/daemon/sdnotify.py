"""systemd's notify protocol without a library: one datagram per message to ``$NOTIFY_SOCKET``."""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    """Send ``READY=1``, ``STATUS=...``, ``WATCHDOG=1``...; False when not under systemd or on failure."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError:
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of ``$WATCHDOG_USEC``), if systemd asked for them."""
    raw = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not raw.isdigit() or int(raw) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(raw) / 2 / 1_000_000
