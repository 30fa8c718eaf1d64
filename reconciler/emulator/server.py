"""Serve the emulator over HTTP with uvicorn: `reconciler emulator`, tests and benchmarks."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any, Protocol

import uvicorn

from reconciler.emulator.faults import DROP_CONNECTION

__all__ = ["AsgiApp", "Hangup", "ServerThread", "free_port", "listen", "server"]


class AsgiApp(Protocol):
    """Anything that serves an ASGI ``.app``: either emulator flavour."""

    @property
    def app(self) -> Any: ...


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class Hangup:
    """ASGI wrapper: gives each request a way to drop its connection unanswered (the lose-responses fault)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.server: uvicorn.Server | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            client = scope.get("client")

            async def drop() -> None:
                for connection in list(self.server.server_state.connections if self.server else ()):
                    if getattr(connection, "client", None) == client:  # not every protocol has one
                        connection.transport.abort()
                await asyncio.sleep(0)  # let the server see the connection lost before the app returns

            scope = {**scope, "extensions": {**(scope.get("extensions") or {}), DROP_CONNECTION: drop}}
        await self.app(scope, receive, send)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (OSError when the address is taken or unusable)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def server(emulator: AsgiApp, host: str, port: int, *, log_level: str = "warning") -> uvicorn.Server:
    hangup = Hangup(emulator.app)
    config = uvicorn.Config(
        hangup,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level in ("info", "debug"),
        lifespan="off",
    )
    hangup.server = uvicorn.Server(config)
    return hangup.server


class ServerThread:
    """The emulator on a loopback port in a background thread (tests, benchmarks)."""

    def __init__(self, emulator: AsgiApp, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port or free_port(host)
        self._server = server(emulator, self.host, self.port)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
