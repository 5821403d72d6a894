"""A loopback proxy that passes calls on to a real server (Django's live server, the Google
stand-in) unchanged, same path and bytes, except while a fault is set for a path: then it
answers a server error page without passing the call on (a database restarting behind
Django, Google's token endpoint failing), or passes the call on and holds the answer (Gmail
that accepted a message and then hangs)."""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

ERROR_PAGE = b"<!doctype html><title>Server Error (500)</title><h1>Server Error (500)</h1>"


@dataclass
class Fault:
    path_end: str  # the fault applies to paths that end with this
    kind: str  # "error_page": answer 500 with an HTML page; "hang": pass on, then hold
    times: int = 1  # how many calls it hits
    seconds: float = 0.0  # "hang": how long the answer is held


class FaultyProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, int]] = []  # (path, status answered)
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                outer.handle(self, "POST")

            def do_GET(self) -> None:
                outer.handle(self, "GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def _fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.split("?")[0].endswith(fault.path_end) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._fault_for(handler.path)
        if fault is not None and fault.kind == "error_page":
            self._answer(handler, 500, ERROR_PAGE, "text/html")
            return
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower() not in {"host", "content-length", "connection"}
        }
        answer = requests.request(
            method, self.upstream + handler.path, data=body, headers=headers, timeout=120
        )
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
        content_type = answer.headers.get("Content-Type", "application/json")
        self._answer(handler, answer.status_code, answer.content, content_type)

    def _answer(
        self, handler: BaseHTTPRequestHandler, status: int, content: bytes, content_type: str
    ) -> None:
        with self.lock:
            self.calls.append((handler.path, status))
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
        except OSError:
            pass  # the caller gave up waiting (a hang longer than its timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
