"""Client side of the daemon's control socket: one JSON request, one JSON reply, stdlib only."""

from __future__ import annotations

import json
import socket
from typing import Any

from stretchd.paths import Paths

MAX_REPLY = 1 << 20


def request(paths: Paths, payload: dict[str, Any], timeout: float = 2.0) -> dict[str, Any] | None:
    """Send ``payload`` to the running daemon; None when no daemon answers."""
    path = str(paths.control_socket)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(json.dumps(payload).encode() + b"\n")
            chunks = []
            size = 0
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if chunk.endswith(b"\n") or size > MAX_REPLY:
                    break
    except OSError:
        return None
    try:
        reply = json.loads(b"".join(chunks))
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


def poke(paths: Paths, reason: str) -> bool:
    """Tell a running daemon to re-read config and history now; True if it answered."""
    return request(paths, {"cmd": "reload", "reason": reason}, timeout=1.0) is not None
