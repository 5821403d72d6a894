"""A Gmail stand-in for the sending benchmark and the scale test: a real HTTP server on
127.0.0.1 that answers users.messages.send after a fixed latency and enforces Gmail's
per-user quota (15,000 units in any sliding minute, 100 per send), answering 429
rateLimitExceeded over it as Google does, and, when given one, a user's daily cap (429
dailyLimitExceeded past it). It also serves the token endpoint, so an account whose token
expired can refresh. Each accepted message is recorded with its arrival time, Message-ID,
To and Subject, so a test can tell what went out twice.

For the benchmark each user starts in a steady state: when its first send arrives, its
window already holds the sends of a sender that ran at the quota for a minute and stopped
one interval before, so two slots are free and one more frees every interval. A sliding
window would otherwise let any sender burst a whole minute's quota at the start, and a
short run would measure that burst instead of the sustained rate. The scale test starts
its users cold (`steady_start=False`), as a new day's mailbox is.

For the fault tests it fails on demand, for a while, switched at run time by `fail` or over
HTTP (`POST /_faults {"mode": ..., "seconds": ...}`; `GET /_faults` lists what is on):
`error_500` answers sends with 500 backendError (nothing accepted); `hang_after_accept`
accepts a send, then answers only when the fault is over (the client gave up meanwhile:
Gmail has the message, the sender never heard); `hang_before_accept` holds a send until the
fault is over and then drops it, unaccepted; `token_500` answers the token endpoint with
500. `expire_tokens` (no duration) forgets every access token at once, so the next send
gets 401 and must refresh.
"""

import base64
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CLIENT_ID = "bench-client-id.apps.example"
CLIENT_SECRET = "bench-client-secret"


def _limited(reason: str, message: str) -> dict:
    return {
        "error": {
            "code": 429,
            "message": message,
            "errors": [{"message": message, "domain": "usageLimits", "reason": reason}],
            "status": "RESOURCE_EXHAUSTED",
        }
    }


RATE_LIMITED = _limited("rateLimitExceeded", "User-rate limit exceeded.")
DAILY_LIMITED = _limited("dailyLimitExceeded", "Daily user sending limit exceeded.")
INVALID_TO = {
    "error": {
        "code": 400,
        "message": "Invalid To header",
        "errors": [{"message": "Invalid To header", "reason": "invalidArgument"}],
    }
}
BACKEND_ERROR = {
    "error": {
        "code": 500,
        "message": "Backend Error",
        "errors": [{"message": "Backend Error", "domain": "global", "reason": "backendError"}],
        "status": "INTERNAL",
    }
}
HEADERS = BytesHeaderParser(policy=policy.default)
FAULT_MODES = ("error_500", "hang_after_accept", "hang_before_accept", "token_500")
EXPIRE_TOKENS = "expire_tokens"


class Faults:
    """Which faults are on, each until a moment (time.monotonic), and a record of them."""

    def __init__(self) -> None:
        self.until: dict[str, float] = {}
        self.record: list[tuple[str, float, float]] = []  # (mode, start, end)
        self.lock = threading.Lock()

    def start(self, mode: str, seconds: float) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}: one of {', '.join(FAULT_MODES)}")
        now = time.monotonic()
        with self.lock:
            self.until[mode] = now + seconds
            self.record.append((mode, now, now + seconds))

    def on(self, mode: str) -> bool:
        return self.left(mode) > 0

    def left(self, mode: str) -> float:
        """Seconds until the fault ends (0 when it is off)."""
        return max(0.0, self.until.get(mode, 0.0) - time.monotonic())

    def active(self) -> dict[str, float]:
        return {mode: round(self.left(mode), 3) for mode in FAULT_MODES if self.on(mode)}

    def ended(self) -> float:
        """When the last fault ended (or ends), time.monotonic(); 0 when none was started."""
        return max((end for _, _, end in self.record), default=0.0)


@dataclass(frozen=True)
class Accepted:
    """One message the stand-in took: when it arrived (time.monotonic) and its headers."""

    at: float
    message_id: str
    to: str
    subject: str


@dataclass
class User:
    email: str
    window: deque = field(default_factory=deque)  # arrival times of the sends in the window
    daily_cap: int | None = None
    accepted: list[float] = field(default_factory=list)
    messages: list[Accepted] = field(default_factory=list)
    refused: int = 0
    refused_daily: int = 0
    started: float = 0.0  # arrival time of the first send
    expired: float = float("-inf")  # arrival time of the latest send to leave the window
    # Once the synthetic history has left the window: the least time a send that took the
    # last free slot arrived after that slot freed (how close the sender came to a 429).
    closest: float = float("inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


class QuotaStandIn:
    """Start with QuotaStandIn(...), give each account `add_user`'s tokens, then `stop()`."""

    def __init__(
        self,
        *,
        latency: float = 0.05,
        units: int = 15_000,
        window: float = 60.0,
        send_cost: int = 100,
        steady_start: bool = True,
        reject_recipients: frozenset[str] = frozenset(),
    ) -> None:
        self.latency, self.window, self.steady_start = latency, window, steady_start
        self.reject_recipients = reject_recipients
        self.capacity = units // send_cost  # sends in any window
        self.users: dict[str, User] = {}
        self.refresh_tokens: dict[str, User] = {}
        self.access_tokens: dict[str, User] = {}
        self.problems: list[str] = []
        self.faults = Faults()
        self.token_refreshes = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def add_user(self, email: str, daily_cap: int | None = None) -> tuple[str, str]:
        """A user with a refresh token and a live access token: (refresh, access)."""
        user = self.users[email] = User(email, daily_cap=daily_cap)
        refresh = "1//bench-" + secrets.token_urlsafe(12)
        self.refresh_tokens[refresh] = user
        return refresh, self.issue_access_token(user)

    def issue_access_token(self, user: User) -> str:
        token = "ya29.bench-" + secrets.token_urlsafe(12)
        self.access_tokens[token] = user
        return token

    def fail(self, mode: str, seconds: float = 0.0) -> None:
        """Start a fault (FAULT_MODES) for `seconds`, or forget every access token now."""
        if mode == EXPIRE_TOKENS:
            self.access_tokens.clear()
        else:
            self.faults.start(mode, seconds)

    def admit(self, user: User, raw: bytes) -> tuple[int, dict] | None:
        """Count one send against the user's daily cap and sliding window: None when it is
        accepted (and recorded), else the status and error Gmail would answer. A refused
        recipient spends quota (the call was made) but not the daily cap (nothing went)."""
        now = time.monotonic()
        with user.lock:
            if not user.started:
                if self.steady_start:
                    # Steady state: sends at the quota's pace that stopped one interval ago.
                    step = self.window / self.capacity
                    user.window.extend(now - step * n for n in range(self.capacity, 1, -1))
                user.started = now
            if user.daily_cap is not None and len(user.accepted) >= user.daily_cap:
                user.refused_daily += 1
                return 429, DAILY_LIMITED
            while user.window and user.window[0] <= now - self.window:
                user.expired = user.window.popleft()
            if len(user.window) >= self.capacity:
                user.refused += 1
                return 429, RATE_LIMITED
            if len(user.window) == self.capacity - 1 and now > user.started + self.window:
                user.closest = min(user.closest, now - user.expired - self.window)
            user.window.append(now)
            headers = HEADERS.parsebytes(raw)
            if headers["To"].addresses[0].addr_spec in self.reject_recipients:
                return 400, INVALID_TO
            user.accepted.append(now)
            user.messages.append(
                Accepted(
                    now, str(headers["Message-ID"]), str(headers["To"]), str(headers["Subject"])
                )
            )
            return None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(state: QuotaStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Google's front ends
        # Headers and body go out in two writes: without this, Nagle's algorithm holds
        # the body until the client's delayed ACK, 40 ms later.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up during a hang: nobody to answer
                self.close_connection = True

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def do_GET(self) -> None:
            if self.path == "/_faults":
                return self.reply(200, {"active": state.faults.active()})
            self.reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path == "/_faults":
                return self.switch_fault()
            if self.path == "/token":
                return self.token()
            if self.path == "/gmail/v1/users/me/messages/send":
                return self.send_message()
            self.body()
            self.reply(404, {"error": "not found"})

        def switch_fault(self) -> None:
            try:
                asked = json.loads(self.body())
                state.fail(str(asked["mode"]), float(asked.get("seconds", 0)))
            except (ValueError, KeyError, TypeError) as error:
                return self.reply(400, {"error": str(error)})
            self.reply(200, {"active": state.faults.active()})

        def token(self) -> None:
            form = {key: values[0] for key, values in parse_qs(self.body().decode()).items()}
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return self.reply(401, {"error": "invalid_client"})
            if state.faults.on("token_500"):
                return self.reply(500, {"error": "internal_failure"})
            user = state.refresh_tokens.get(form.get("refresh_token", ""))
            state.token_refreshes += 1
            if form.get("grant_type") != "refresh_token" or user is None:
                return self.reply(400, {"error": "invalid_grant"})
            token = state.issue_access_token(user)
            self.reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

        def send_message(self) -> None:
            payload = json.loads(self.body())
            auth = self.headers.get("Authorization", "")
            user = state.access_tokens.get(auth.removeprefix("Bearer "))
            if user is None:
                error = {"code": 401, "message": "Invalid Credentials"}
                return self.reply(401, {"error": {**error, "errors": [{"reason": "authError"}]}})
            raw = base64.urlsafe_b64decode(payload.get("raw", ""))
            if b"\r\nTo: " not in raw and not raw.startswith(b"To: "):
                state.problems.append(f"{user.email}: a message without a To header")
            if state.faults.on("error_500"):
                return self.reply(500, BACKEND_ERROR)
            if state.faults.on("hang_before_accept"):
                time.sleep(state.faults.left("hang_before_accept"))
                return self.reply(503, BACKEND_ERROR)  # dropped: the client is gone
            refusal = state.admit(user, raw)
            time.sleep(state.latency)
            if refusal is not None:
                return self.reply(*refusal)
            if state.faults.on("hang_after_accept"):
                time.sleep(state.faults.left("hang_after_accept"))
            number = len(user.accepted)
            self.reply(200, {"id": f"bench-{number}", "threadId": f"t-{number}"})

    return Handler
