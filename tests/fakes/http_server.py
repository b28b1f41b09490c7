"""A tiny threaded HTTP server on 127.0.0.1 for vendor fakes, with fault injection.

A fake subclasses ``FakeService`` and implements ``handle(request) -> Reply``. Tests script
faults on top of it: ``fail_next(status, body, headers, times)``, ``delay_next(seconds)``,
``hold_next()`` (a request waits until the test releases it: a stall without a clock),
``down()`` / ``up()`` (the port refuses connections while down), and read ``requests`` (every
request received, in order) to count calls.
"""

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Set
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: Optional[str] = None) -> Optional[str]:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as is
    headers: Dict[str, str] = field(default_factory=dict)


#: the longest a held request waits for its release (a test that forgets to release still ends)
HOLD_LIMIT = 60.0


@dataclass
class Hold:
    """A request held open until the test calls ``release()``; ``reached`` is set when it arrives.

    Tests of a stalled client use it instead of a delay: the test decides when the answer goes
    out, so nothing depends on how fast the machine is.
    """

    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()

    def wait(self) -> None:
        self.reached.set()
        self.released.wait(HOLD_LIMIT)


@dataclass
class _Fault:
    reply: Optional[Reply]
    delay: float
    times: int
    match: Optional[Callable[[Request], bool]]
    after: bool  # handle the request for real first, then delay/fail (the "answered, then lost" case)
    hold: Optional[Hold] = None


class FakeService:
    """Base of a fake: owns the server thread, the request log and the fault queue."""

    def __init__(self) -> None:
        self.requests: List[Request] = []
        self._faults: List[_Fault] = []
        self._lock = threading.RLock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.port: Optional[int] = None
        self._connections: Set[socket.socket] = set()  # open client connections (keep-alive)

    # -- the vendor's behaviour ---------------------------------------------------------------
    def handle(self, request: Request) -> Reply:  # pragma: no cover - subclasses implement
        raise NotImplementedError

    # -- fault injection ----------------------------------------------------------------------
    def fail_next(self, status: int, body: Any = None, headers: Optional[Dict[str, str]] = None,
                  times: int = 1, match: Optional[Callable[[Request], bool]] = None) -> None:
        """The next ``times`` matching requests get this reply instead of the real one."""
        with self._lock:
            self._faults.append(_Fault(Reply(status, body, headers or {}), 0.0, times, match, False))

    def delay_next(self, seconds: float, times: int = 1,
                   match: Optional[Callable[[Request], bool]] = None, after: bool = False) -> None:
        """Hold the next matching requests ``seconds`` before replying (``after``: do the work first)."""
        with self._lock:
            self._faults.append(_Fault(None, seconds, times, match, after))

    def hold_next(self, match: Optional[Callable[[Request], bool]] = None, after: bool = False) -> Hold:
        """Hold the next matching request until ``release()`` (``after``: its work done and its
        answer decided first, so the answer describes the remote as it was when it arrived)."""
        hold = Hold()
        with self._lock:
            self._faults.append(_Fault(None, 0.0, 1, match, after, hold))
        return hold

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, request: Request) -> Optional[_Fault]:
        with self._lock:
            for fault in self._faults:
                if fault.match is None or fault.match(request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> "FakeService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without TCP_NODELAY, Nagle plus the client's
            # delayed ACK stall every reply by ~40 ms
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep pytest output quiet
                pass

            def setup(self) -> None:
                super().setup()
                with service._lock:
                    service._connections.add(self.connection)

            def finish(self) -> None:
                with service._lock:
                    service._connections.discard(self.connection)
                with contextlib.suppress(OSError):  # the connection was cut by down()
                    super().finish()

            def _serve(self) -> None:
                if service._server is None:  # down(): a kept-alive connection is cut too, as in an outage
                    self.close_connection = True
                    return
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  {k: v for k, v in self.headers.items()}, self.rfile.read(length))
                with service._lock:
                    service.requests.append(request)
                fault = service._take_fault(request)
                if fault is not None and not fault.after:
                    time.sleep(fault.delay)
                    if fault.hold is not None:
                        fault.hold.wait()
                reply = fault.reply if fault is not None and fault.reply is not None else None
                if reply is None:
                    reply = service.handle(request)
                if fault is not None and fault.after:
                    time.sleep(fault.delay)
                    if fault.hold is not None:
                        fault.hold.wait()
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                body = reply.body
                headers = dict(reply.headers)
                if isinstance(body, (dict, list)):
                    payload = json.dumps(body).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif isinstance(body, str):
                    payload = body.encode()
                    headers.setdefault("Content-Type", "text/plain")
                else:
                    payload = body or b""
                try:
                    self.send_response(reply.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # a short poll interval: stop()/down() return in ~50 ms instead of serve_forever's 0.5 s
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        # A server that goes down drops its keep-alive connections too (else a pooled client
        # would keep talking to the handler thread of a "down" server).
        with self._lock:
            open_connections = list(self._connections)
            self._connections.clear()
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        """Stop listening (connections are refused) but keep the state and the port number."""
        self.stop()

    def up(self) -> None:
        """Listen again on the same port, with the same state."""
        assert self.port is not None
        self.start(self.port)

    def __enter__(self) -> "FakeService":
        return self.start() if self._server is None else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
