"""Serve the emulator over HTTP with uvicorn: `reconciler emulator`, tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from reconciler.emulator.app import Emulator


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def server(emulator: Emulator, host: str, port: int, *, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        emulator.app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level in ("info", "debug"),
        lifespan="off",
    )
    return uvicorn.Server(config)


class ServerThread:
    """The emulator on a loopback port in a background thread (tests, benchmarks)."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int | None = None) -> None:
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
