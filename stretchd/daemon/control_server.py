"""The daemon's control socket: same-user peers only, one JSON request line, one JSON reply line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from stretchd.errors import UnavailableError
from stretchd.paths import ensure_private_dir

log = logging.getLogger("stretchd.control")
MAX_REQUEST = 64 * 1024
Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def peer_allowed(peer_uid: int | None, own_uid: int) -> bool:
    """Only the user the daemon runs as may control it (root is not special: it can kill us anyway)."""
    return peer_uid is not None and peer_uid == own_uid


def peer_uid(sock: socket.socket | None) -> int | None:
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def parse_request(line: bytes) -> dict[str, Any]:
    """The request object; ValueError with a message for anything else."""
    if len(line) > MAX_REQUEST:
        raise ValueError("request too long")
    data = json.loads(line)
    if not isinstance(data, dict) or not isinstance(data.get("cmd"), str):
        raise ValueError('a request is a JSON object with a "cmd" string')
    return data


class ControlServer:
    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self.handler = handler
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        ensure_private_dir(self.path.parent)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # stale: we hold the daemon lock, so no live daemon owns it
        old = os.umask(0o177)  # the socket is created 0600, never briefly wider
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=MAX_REQUEST + 2)
        except OSError as exc:
            raise UnavailableError(f"cannot listen on the control socket {self.path}: {exc.strerror or exc}") from None
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            uid = peer_uid(writer.get_extra_info("socket"))
            if not peer_allowed(uid, os.getuid()):
                log.warning("refused a control connection from uid %s", uid)
                reply: dict[str, Any] = {"ok": False, "error": "permission denied: not the daemon's user"}
            else:
                try:
                    line = await asyncio.wait_for(reader.readline(), 5)
                    reply = await self.handler(parse_request(line))
                except (ValueError, asyncio.LimitOverrunError) as exc:
                    reply = {"ok": False, "error": f"bad request: {exc}"}
                except (OSError, asyncio.TimeoutError):
                    raise
                except Exception as exc:  # a bug in one request must not end the server: answer, log it
                    log.exception("control request failed")
                    reply = {"ok": False, "error": f"internal error ({type(exc).__name__}); see the daemon's log"}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (OSError, asyncio.TimeoutError) as exc:
            log.debug("control connection ended: %s", exc)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
