"""The workflows' JavaScript signs and verifies exactly as Django does (run by Node): the
same bytes for the same call, the same request id on every retry of one call, a new id
for the next call, and Django's call to n8n checked against the webhook's own path."""

import json
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from campaigns.n8n import build, signing

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js runs the workflows' code")
SECRET = "workflow-secret"
# The Code node's surroundings: $env, require and this.helpers.httpRequest (over fetch).
HARNESS = """
const src = require('fs').readFileSync(process.argv[2], 'utf8');
const helpers = { httpRequest: async (o) => {
  const response = await fetch(o.url, { method: o.method, body: o.body, headers: o.headers,
    signal: AbortSignal.timeout(o.timeout) });
  return { statusCode: response.status, headers: Object.fromEntries(response.headers),
    body: await response.text() };
} };
const $env = { CAMPAIGNS_WEBHOOK_SECRET: process.env.SECRETS };
const code = new Function('$env', 'require', `${src}
  return { verifySignature, signedPost };`).call({ helpers }, $env, require);
(async () => {
  const [what, ...args] = JSON.parse(process.argv[3]);
  try {
    const result = what === 'post' ? await code.signedPost(...args)
      : code.verifySignature(args[0], args[1], args[2], Buffer.from(args[3]));
    console.log(JSON.stringify({ result }));
  } catch (error) { console.log(JSON.stringify({ error: error.message })); }
})();
"""


@pytest.fixture
def run(tmp_path, settings):
    settings.N8N_WEBHOOK_SECRET = [SECRET]
    settings.N8N_SIGNATURE_TOLERANCE_SECONDS = 300
    shared = tmp_path / "signed_call.js"
    shared.write_text((Path(build.__file__).parent / "signed_call.js").read_text())
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)

    def run(*command, secrets=SECRET):
        result = subprocess.run(
            [NODE, str(harness), str(shared), json.dumps(command)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"SECRETS": secrets, "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


class Django:
    """A loopback stand-in for Django's API: answers a scripted list of codes, records
    every request it gets."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.requests: list[tuple[str, str, bytes]] = []  # path, signature, body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((self.path, self.headers["X-Signature"], body))
                code = outer.codes.pop(0) if outer.codes else 200
                if code == "slow":
                    time.sleep(1.5)  # longer than the caller waits
                    code = 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"queued": 1}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def django():
    servers = []

    def start(codes):
        servers.append(Django(codes))
        return servers[-1]

    yield start
    for server in servers:
        server.server.shutdown()


def test_a_call_and_its_retries_carry_one_signature_that_django_verifies(run, django):
    stand_in = django(["slow", 503, 200])
    url = f"{stand_in.url}/api/campaigns/tick/"
    assert run("post", url, {"note": "é ü"}, 1000) == {
        "result": {"status": 200, "data": {"queued": 1}}
    }
    assert len(stand_in.requests) == 3  # a timeout, a 503, then the answer
    assert len({header for _, header, _ in stand_in.requests}) == 1
    path, header, body = stand_in.requests[-1]
    assert path == "/api/campaigns/tick/"
    request_id = signing.verify(header, method="POST", path=path, body=body)
    run("post", f"{url}?from=n8n#top", {}, 1000)  # the query is not part of the signed path
    _, next_header, next_body = stand_in.requests[-1]
    assert signing.verify(next_header, method="POST", path=path, body=next_body) != request_id
    with pytest.raises(signing.SignatureError):
        signing.verify(header, method="POST", path="/api/campaigns/check-replies/", body=body)


def test_a_refusal_is_not_retried(run, django):
    stand_in = django([409])
    answer = run("post", f"{stand_in.url}/api/campaigns/tick/", {}, 1000)
    assert answer["result"]["status"] == 409 and len(stand_in.requests) == 1


def test_the_workflow_checks_djangos_call_against_its_own_path(run):
    path, body = "/webhook/campaign-dispatch", '{"dispatch_id": "d"}'
    header = signing.sign(body.encode(), path=path, request_id="django-0123456789abcd")
    assert run("verify", header, "POST", path, body) == {"result": "django-0123456789abcd"}
    stale = signing.sign(body.encode(), path=path, timestamp=int(time.time()) - 301)
    for args in (
        (header, "POST", "/webhook-test/campaign-dispatch", body),
        (header, "POST", path, body + " "),
        (stale, "POST", path, body),
        (header.replace(",n=", ",x="), "POST", path, body),
        ("t=1=2,v1=x", "POST", path, body),
    ):
        assert "error" in run("verify", *args), args
    rotated = signing.sign(body.encode(), path=path, secret="old-secret")
    assert run("verify", rotated, "POST", path, body, secrets="new, old-secret")["result"]
