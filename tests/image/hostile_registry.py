"""A registry that misbehaves on purpose, on 127.0.0.1 (real sockets, so timeouts are real):
each path answers with one behaviour — trickle, redirect loop, oversized body."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def trickle(body: bytes, every: float, *, headers_too: bool = False) -> Behaviour:
    """Sends `body` one byte every `every` seconds (the status line and headers too)."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode()
        try:
            if headers_too:
                for i in range(len(head)):
                    handler.wfile.write(head[i:i + 1])
                    handler.wfile.flush()
                    time.sleep(every)
            else:
                handler.wfile.write(head)
            for i in range(len(body)):
                handler.wfile.write(body[i:i + 1])
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            pass  # the client gave up: that is the point
    return answer


def redirect_to_itself(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(302)
    handler.send_header("Location", handler.path)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def body(data: bytes, *, content_length: bool = True) -> Behaviour:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        if content_length:
            handler.send_header("Content-Length", str(len(data)))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()
        with suppress(OSError):
            handler.wfile.write(data)
    return answer


@contextmanager
def hostile_registry(routes: dict[str, Behaviour]) -> Iterator[str]:
    """Yields `127.0.0.1:PORT`; a path not in `routes` is a 404."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            answer = routes.get(self.path.split("?")[0])
            if answer is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            answer(self)
            if answer is not redirect_to_itself:
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
