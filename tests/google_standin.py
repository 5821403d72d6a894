"""A local stand-in for Google's OAuth and Gmail endpoints: a real HTTP server on 127.0.0.1
that checks what it receives (PKCE, client authentication, bearer tokens and their scopes,
the RFC 5322 message) and can be told to fail the way Google does.

Tokens may name the mailbox they belong to (`mailbox=`, an address): then, as in Gmail, a
message sent with one goes from that mailbox (a From header of another address is recorded
as a problem), its threads are that mailbox's, and another mailbox's thread is not found.
Tokens issued without one share a single mailbox, as before.

It also keeps the mailbox's threads (what was sent, and what tests add with `add_message`)
and serves them as Gmail does with the metadata permission: threads.get and messages.get in
format=metadata, history.list, the profile. A request for a body (format=full or raw, or a
search with q=) is refused and recorded as a problem, which fails the test."""

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID = "test-client-id.apps.example"
CLIENT_SECRET = "test-client-secret"
SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
GMAIL_READ = re.compile(r"^/gmail/v1/users/me/(profile|history|threads/[^/]+|messages(/[^/]+)?)$")


@dataclass
class Reply:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


@dataclass
class StandIn:
    base_url: str = ""
    email: str = "agent@gmail.example"
    name: str = "Alex Agent"
    deny: bool = False
    omit_refresh_token: bool = False
    granted_scopes: str = f"openid email profile {SEND_SCOPE}"
    send_delay: float = 0.0
    reject_recipients: set = field(default_factory=set)
    codes: dict = field(default_factory=dict)
    access_tokens: set = field(default_factory=set)
    refresh_tokens: set = field(default_factory=set)
    revoked: set = field(default_factory=set)
    refreshes: int = 0
    send_failures: list[Reply] = field(default_factory=list)
    send_attempts: int = 0
    sent: list[EmailMessage] = field(default_factory=list)
    sent_raw: list[bytes] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Scopes: what each consent asked for, which extra scopes the user agrees to when
    # asked, and what each token may do.
    requested_scopes: list[str] = field(default_factory=list)
    agrees_to: set = field(default_factory=lambda: {METADATA_SCOPE})
    token_scopes: dict = field(default_factory=dict)
    # Which mailbox each token opens (absent: the one shared mailbox), which mailbox each
    # thread is in, and the mailbox each sent message went from (beside `sent`).
    token_mailbox: dict = field(default_factory=dict)
    thread_mailbox: dict = field(default_factory=dict)
    sent_from: list = field(default_factory=list)
    # The mailbox: thread id -> messages (Gmail message resources), and its history.
    threads: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    history_id: int = 1000
    history_forgotten_before: int = 0
    read_failures: list[Reply] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)

    def issue_refresh_token(self, scopes: str | None = None, mailbox: str | None = None) -> str:
        token = "1//refresh-" + secrets.token_urlsafe(16)
        self.refresh_tokens.add(token)
        self.token_scopes[token] = self.granted_scopes if scopes is None else scopes
        self.token_mailbox[token] = mailbox
        return token

    def issue_access_token(self, scopes: str | None = None, mailbox: str | None = None) -> str:
        token = "ya29.access-" + secrets.token_urlsafe(16)
        self.access_tokens.add(token)
        self.token_scopes[token] = self.granted_scopes if scopes is None else scopes
        self.token_mailbox[token] = mailbox
        return token

    def elsewhere(self, mailbox: str | None, thread_id: str) -> bool:
        """The thread is in another mailbox than the token's: Gmail does not find it."""
        owner = self.thread_mailbox.get(thread_id)
        return mailbox is not None and owner is not None and owner != mailbox

    def add_message(
        self,
        thread_id: str,
        *,
        sender: str,
        subject: str = "Re: your message",
        headers: dict | None = None,
        snippet: str = "",
        labels: tuple = ("INBOX", "UNREAD"),
        at: float | None = None,
    ) -> dict:
        """A message arriving in a thread (a reply, a bounce...), recorded in the history."""
        all_headers = [("From", sender), ("Subject", subject), *(headers or {}).items()]
        return self._store(thread_id, labels, all_headers, snippet, at)

    def start_conversation(
        self, *, sender: str, subject: str, snippet: str = "", headers: dict | None = None
    ) -> dict:
        """A message that starts a thread of its own in the inbox (an email written to the
        mailbox, not a reply): as in Gmail, the thread takes the message's id."""
        all_headers = [("From", sender), ("Subject", subject), *(headers or {}).items()]
        with self.lock:
            thread_id = f"msg-{self.history_id + 1}"
        return self._store(thread_id, ("INBOX", "UNREAD"), all_headers, snippet, None)

    def _store(
        self, thread_id: str, labels: tuple, headers: list, snippet: str, at: float | None
    ) -> dict:
        with self.lock:
            self.history_id += 1
            message = {
                "id": f"msg-{self.history_id}",
                "threadId": thread_id,
                "labelIds": list(labels),
                "snippet": snippet,
                "historyId": str(self.history_id),
                "internalDate": str(int((time.time() if at is None else at) * 1000)),
                "payload": {
                    "mimeType": "multipart/alternative",
                    "headers": [{"name": name, "value": str(value)} for name, value in headers],
                    "body": {"size": 0},
                    "parts": [{"mimeType": "text/plain", "body": {"data": "c2VjcmV0"}}],
                },
            }
            self.threads.setdefault(thread_id, []).append(message)
            self.history.append((self.history_id, message))
            return message


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length).decode()
            return {key: values[0] for key, values in parse_qs(raw).items()}

        def bearer_ok(self) -> bool:
            auth = self.headers.get("Authorization", "")
            return auth.startswith("Bearer ") and auth[7:] in state.access_tokens

        def mailbox(self) -> str | None:
            return state.token_mailbox.get(self.headers.get("Authorization", "")[7:])

        def client_ok(self, form: dict) -> bool:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                return (user, password) == (CLIENT_ID, CLIENT_SECRET)
            return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/auth":
                return self.authorize(query)
            if url.path == "/userinfo":
                if not self.bearer_ok():
                    return self.reply(401, {"error": "invalid_token"})
                return self.reply(
                    200, {"email": state.email, "name": state.name, "email_verified": True}
                )
            if GMAIL_READ.match(url.path):
                return self.gmail_read(url.path.removeprefix("/gmail/v1/users/me/"), url.query)
            self.reply(404, {"error": "not found"})

        def gmail_read(self, path: str, raw_query: str) -> None:
            query = parse_qs(raw_query)
            state.reads.append(f"{path}?{raw_query}")
            if not self.bearer_ok():
                return self.reply(401, google_error(401, "authError").body)
            token = self.headers["Authorization"][7:]
            if METADATA_SCOPE not in state.token_scopes.get(token, "").split():
                failure = google_error(
                    403,
                    "insufficientPermissions",
                    "Request had insufficient authentication scopes.",
                )
                return self.reply(failure.status, failure.body)
            if "q" in query:
                state.problems.append(f"gmail: a search (q=) was sent: {path}")
                forbidden = google_error(
                    403, "forbidden", "Metadata scope does not support 'q' parameter"
                )
                return self.reply(forbidden.status, forbidden.body)
            with state.lock:
                failure = state.read_failures.pop(0) if state.read_failures else None
            if failure is not None:
                return self.reply(failure.status, failure.body, failure.headers)
            if path == "profile":
                address = self.mailbox() or state.email
                profile = {"emailAddress": address, "historyId": str(state.history_id)}
                return self.reply(200, profile)
            if path == "history":
                return self.history_list(query)
            if path == "messages":
                return self.reply(200, {"messages": [], "resultSizeEstimate": 0})
            form = query.get("format", ["full"])[0].lower()  # Gmail's default is full
            if form != "metadata":
                state.problems.append(f"gmail: format={form} asked (only metadata is allowed)")
                forbidden = google_error(
                    403, "forbidden", f"Metadata scope doesn't allow format {form.upper()}"
                )
                return self.reply(forbidden.status, forbidden.body)
            kind, _, key = path.partition("/")
            if kind == "threads":
                messages = None if state.elsewhere(self.mailbox(), key) else state.threads.get(key)
            else:
                messages = [m for t in state.threads.values() for m in t if m["id"] == key] or None
            if messages is None:
                return self.reply(
                    404, google_error(404, "notFound", "Requested entity was not found.").body
                )
            shown = self.metadata(messages, query)
            body = {"id": key, "historyId": messages[-1]["historyId"], "messages": shown}
            return self.reply(200, body if kind == "threads" else shown[0])

        def metadata(self, messages: list, query: dict) -> list:
            """The messages as format=metadata shows them: labels and the named headers."""
            wanted = {name.lower() for name in query.get("metadataHeaders", [])}
            shown = []
            for message in messages:
                headers = message["payload"]["headers"]
                if wanted:
                    headers = [h for h in headers if h["name"].lower() in wanted]
                summary = {k: v for k, v in message.items() if k != "payload"}
                summary["payload"] = {
                    "mimeType": message["payload"]["mimeType"],
                    "headers": headers,
                }
                shown.append(summary)
            return shown

        def history_list(self, query: dict) -> None:
            start = query.get("startHistoryId", [""])[0]
            if not start.isdigit():
                return self.reply(
                    400, google_error(400, "invalidArgument", "Invalid startHistoryId").body
                )
            if int(start) < state.history_forgotten_before:
                return self.reply(
                    404, google_error(404, "notFound", "Requested entity was not found.").body
                )
            size = int(query.get("maxResults", ["100"])[0])
            offset = int(query.get("pageToken", ["0"])[0])
            if set(query.get("historyTypes", [])) != {"messageAdded"}:
                state.problems.append(f"gmail: history without historyTypes=messageAdded: {query}")
            records = [
                {
                    "id": str(number),
                    "messages": [{"id": m["id"], "threadId": m["threadId"]}],
                    "messagesAdded": [
                        {"message": {k: m[k] for k in ("id", "threadId", "labelIds")}}
                    ],
                }
                for number, m in list(state.history)
                if number > int(start) and not state.elsewhere(self.mailbox(), m["threadId"])
            ]
            body: dict = {"historyId": str(state.history_id)}
            if records[offset : offset + size]:
                body["history"] = records[offset : offset + size]
            if offset + size < len(records):
                body["nextPageToken"] = str(offset + size)
            self.reply(200, body)

        def authorize(self, query: dict) -> None:
            expected = {
                "client_id": CLIENT_ID,
                "response_type": "code",
                "access_type": "offline",
                "prompt": "consent",
                "code_challenge_method": "S256",
            }
            for key, value in expected.items():
                if query.get(key) != value:
                    state.problems.append(f"auth: {key}={query.get(key)!r}")
            if SEND_SCOPE not in query.get("scope", "").split():
                state.problems.append("auth: gmail.send scope missing")
            target = query["redirect_uri"]
            if state.deny:
                params = {"error": "access_denied", "state": query.get("state", "")}
            else:
                code = "4/code-" + secrets.token_urlsafe(8)
                requested = query.get("scope", "").split()
                state.requested_scopes.append(query.get("scope", ""))
                extra = [scope for scope in requested if scope in state.agrees_to]
                granted = " ".join([state.granted_scopes, *extra])
                state.codes[code] = {
                    "challenge": query.get("code_challenge"),
                    "redirect_uri": target,
                    "scope": granted,
                }
                params = {
                    "code": code,
                    "state": query.get("state", ""),
                    "scope": granted,
                }
            self.send_response(302)
            self.send_header("Location", f"{target}?{urlencode(params)}")
            self.end_headers()

        def do_POST(self) -> None:
            path = urlparse(self.path).path
            if path == "/token":
                return self.token()
            if path == "/revoke":
                token = self.form().get("token", "")
                state.revoked.add(token)
                state.access_tokens.discard(token)
                return self.reply(200, {})
            if path == "/gmail/v1/users/me/messages/send":
                return self.send_message()
            self.reply(404, {"error": "not found"})

        def token(self) -> None:
            form = self.form()
            if not self.client_ok(form):
                return self.reply(401, {"error": "invalid_client"})
            if form.get("grant_type") == "authorization_code":
                grant = state.codes.pop(form.get("code", ""), None)
                if grant is None:
                    return self.reply(400, {"error": "invalid_grant"})
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                if challenge != grant["challenge"]:
                    state.problems.append("token: PKCE verifier does not match the challenge")
                    return self.reply(400, {"error": "invalid_grant"})
                if form.get("redirect_uri") != grant["redirect_uri"]:
                    return self.reply(400, {"error": "redirect_uri_mismatch"})
                body = {
                    "access_token": state.issue_access_token(grant["scope"]),
                    "expires_in": 3599,
                    "token_type": "Bearer",
                    "scope": grant["scope"],
                }
                if not state.omit_refresh_token:
                    body["refresh_token"] = state.issue_refresh_token(grant["scope"])
                return self.reply(200, body)
            if form.get("grant_type") == "refresh_token":
                token = form.get("refresh_token", "")
                if token in state.revoked or token not in state.refresh_tokens:
                    return self.reply(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "Token has been expired or revoked.",
                        },
                    )
                state.refreshes += 1
                scopes, mailbox = state.token_scopes.get(token), state.token_mailbox.get(token)
                return self.reply(
                    200,
                    {
                        "access_token": state.issue_access_token(scopes, mailbox),
                        "expires_in": 3599,
                        "token_type": "Bearer",
                    },
                )
            self.reply(400, {"error": "unsupported_grant_type"})

        def send_message(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length))
            with state.lock:
                state.send_attempts += 1
                failure = state.send_failures.pop(0) if state.send_failures else None
            if not self.bearer_ok():
                return self.reply(
                    401,
                    {
                        "error": {
                            "code": 401,
                            "message": "Invalid Credentials",
                            "errors": [{"reason": "authError"}],
                        }
                    },
                )
            if failure is not None:
                return self.reply(failure.status, failure.body, failure.headers)
            if state.send_delay:
                time.sleep(state.send_delay)
            raw = base64.urlsafe_b64decode(payload["raw"])
            message = message_from_bytes(raw, policy=policy.default)
            if message["To"].addresses[0].addr_spec in state.reject_recipients:
                rejected = google_error(400, "invalidArgument", "Invalid To header")
                return self.reply(rejected.status, rejected.body)
            mailbox = self.mailbox()
            sender = message["From"].addresses[0].addr_spec if message["From"] else ""
            if mailbox is not None and sender.lower() != mailbox.lower():
                state.problems.append(f"gmail: a message from {sender} sent as {mailbox}")
            if state.elsewhere(mailbox, payload.get("threadId", "")):
                missing = google_error(404, "notFound", "Requested entity was not found.")
                return self.reply(missing.status, missing.body)
            with state.lock:
                state.sent.append(message)
                state.sent_raw.append(raw)
                state.sent_from.append(mailbox)
                number = len(state.sent)
            thread_id = payload.get("threadId") or f"thread-{number}"
            state.thread_mailbox.setdefault(thread_id, mailbox)
            names = ("From", "To", "Subject", "Message-ID", "In-Reply-To", "Content-Type")
            stored = state._store(
                thread_id, ("SENT",), [(n, message[n]) for n in names if message[n]], "", None
            )
            stored["id"] = f"gmail-{number}"
            self.reply(200, {"id": f"gmail-{number}", "threadId": thread_id, "labelIds": ["SENT"]})

    return Handler


def google_error(status: int, reason: str, message: str = "") -> Reply:
    return Reply(
        status,
        {
            "error": {
                "code": status,
                "message": message or reason,
                "errors": [{"reason": reason, "message": message}],
            }
        },
    )


def start() -> tuple[StandIn, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    state = renew(server)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return state, server


def renew(server: ThreadingHTTPServer) -> StandIn:
    """A new stand-in, knowing nothing yet, behind a server that keeps its address: what a
    test sees when the stand-in outlives it (an n8n started once was given the address)."""
    state = StandIn(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state)
    return state
