"""Misbehaving HTTP servers on 127.0.0.1, one thread each, for the deadline and secret
tests: real sockets, so the client's real timeouts, redirects and parsing are exercised.

Every server is bounded: its threads are daemons, sockets have timeouts, and ``close()``
stops it; a test never waits on one for longer than its own timeouts."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable

#: The API token every test uses; the session-wide scan (see secret_scan.py) fails the
#: suite if it appears in any output, log or report.
TEST_TOKEN = "odtest-7f3a9c21e4b8-Secret-Value"

Handler = Callable[[socket.socket, bytes, "Server"], None]


class Server:
    """Accept connections on 127.0.0.1 and hand each (socket, request bytes) to
    ``handler``; records every request's raw bytes in ``requests``."""

    def __init__(self, handler: Handler, *, read_request: bool = True, host: str = "127.0.0.1"):
        self.handler = handler
        self.read_request = read_request
        self.requests: list[bytes] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._open.append(conn)
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            data = b""
            if self.read_request:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                data = head + b"\r\n\r\n" + body
            self.requests.append(data)
            self.handler(conn, data, self)
        except OSError:
            pass
        finally:
            if not self._stop.is_set():
                with contextlib.suppress(OSError):
                    conn.close()

    def close(self) -> None:
        self._stop.set()
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.close()
        self.sock.close()


def reply(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def never_answer(conn: socket.socket, _data: bytes, server: Server) -> None:
    server._stop.wait(60)


def garbage(conn: socket.socket, _data: bytes, _server: Server) -> None:
    conn.sendall(b"\x00\xffthis is not HTTP at all\r\n\r\n")


def drop_mid_body(conn: socket.socket, _data: bytes, _server: Server) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\nConnection: close\r\n\r\n{\"success\": tr")
    conn.shutdown(socket.SHUT_RDWR)


def echo_headers(status: int = 403) -> Handler:
    """A portal whose error page quotes the request headers back (some proxies do)."""

    def handle(conn: socket.socket, data: bytes, _server: Server) -> None:
        head = data.split(b"\r\n\r\n")[0].decode("latin-1").replace('"', "'")
        quoted = head.replace("\r\n", " | ")
        body = json.dumps({"success": False, "message": f"denied: {quoted}",
                           "error": {"__type": "Authorization Error",
                                     "message": f"denied, you sent: {quoted}"}}).encode()
        conn.sendall(reply(status, body, {"Content-Type": "application/json"}))

    return handle
