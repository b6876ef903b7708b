"""An httpx transport that cuts connections which stall: fewer than `stall_bytes` received in
any `stall_seconds`.

Why at the socket: httpx's read timeout is per read, so a server that sends one byte every
2 s (in the headers or the body) never trips it, and httpx has no overall deadline. Counting
bytes on the connection itself covers the status line, headers and body alike. The window
restarts with each request written, so a kept-alive connection that sat idle is not cut.
"""

from __future__ import annotations

import ssl
import time
import typing

import httpcore
import httpx

from richcompose.image.limits import ImageLimits


class _Guarded(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, limits: ImageLimits) -> None:
        self._inner = inner
        self._limits = limits
        self._restart()

    def _restart(self) -> None:
        self._since = time.monotonic()
        self._received = 0

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._check()
        data = self._inner.read(max_bytes, timeout)
        self._received += len(data)
        self._check()
        return data

    def _check(self) -> None:
        if time.monotonic() - self._since < self._limits.stall_seconds:
            return
        if self._received < self._limits.stall_bytes:
            raise httpcore.ReadTimeout(
                f"transfer stalled: {self._received} bytes in {self._limits.stall_seconds:g} s "
                f"(at least {self._limits.stall_bytes} expected)")
        self._restart()

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._restart()
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        self._inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, limits: ImageLimits) -> None:
        self._inner = httpcore.SyncBackend()
        self._limits = limits

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None
                    ) -> httpcore.NetworkStream:
        return _Guarded(self._inner.connect_tcp(host, port, timeout, local_address,
                                                socket_options), self._limits)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _Guarded(self._inner.connect_unix_socket(path, timeout, socket_options),
                        self._limits)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class StallGuardTransport(httpx.HTTPTransport):
    """httpx's own transport, its connection pool built on the stall-guarded backend."""

    def __init__(self, limits: ImageLimits) -> None:
        super().__init__()
        # httpx offers no public way to choose the network backend; its pool attribute is the
        # one seam (tests/image/test_registry_limits.py fails if a new httpx moves it).
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             max_connections=100, max_keepalive_connections=20,
                                             keepalive_expiry=5.0,
                                             network_backend=_Backend(limits))


def timeouts(limits: ImageLimits) -> httpx.Timeout:
    return httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
