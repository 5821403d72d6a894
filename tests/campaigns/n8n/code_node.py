"""A workflow's Code node run by plain Node.js, with what n8n gives it: `$env`, `$input`,
`require`, and `this.helpers` (`httpRequest` as n8n's, over fetch: an HTTP error status is
an answer, a timeout throws an error with axios's code ECONNABORTED, a refused connection
one with ECONNREFUSED; `getBinaryDataBuffer` for the webhook's raw body). Seconds to start,
against minutes for a real n8n: the workflow's logic is tested here, n8n itself by
test_n8n_end_to_end.py and the fault tests."""

import json
import shutil
import subprocess
from pathlib import Path

from campaigns.n8n import build

NODE = shutil.which("node")
HARNESS = r"""
const [source, inputFile] = process.argv.slice(2);
const src = require('fs').readFileSync(source, 'utf8');
const given = JSON.parse(require('fs').readFileSync(inputFile, 'utf8'));
const helpers = {
  httpRequest: async (o) => {
    let response;
    try {
      response = await fetch(o.url, { method: o.method, body: o.body, headers: o.headers,
        signal: AbortSignal.timeout(o.timeout) });
    } catch (error) {
      const timedOut = error.name === 'TimeoutError';
      const said = timedOut ? `timeout of ${o.timeout}ms exceeded` : String(error.cause || error);
      const failure = new Error(said);
      failure.code = timedOut ? 'ECONNABORTED' : (error.cause && error.cause.code) || 'ERR_NETWORK';
      throw failure;
    }
    return { statusCode: response.status, headers: Object.fromEntries(response.headers),
      body: await response.text() };
  },
  getBinaryDataBuffer: async () => Buffer.from(given.raw, 'utf8'),
};
const $input = { first: () => ({ json: given.json }) };
const node = new Function('$env', '$input', 'require', `return (async () => {${src}\n})();`);
node.call({ helpers }, given.env, $input, require).then(
  (items) => console.log(JSON.stringify({ items })),
  (error) => console.log(JSON.stringify({ error: error.message })),
);
"""


def run_code_node(
    name: str, tmp_path: Path, *, env: dict, json_in: dict, raw: str = "", timeout: float = 120
) -> dict:
    """Run build.code(name) once; {"items": [...]} as the node returned them, or {"error"}."""
    source = tmp_path / f"{name}.node.js"
    source.write_text(build.code(name))
    harness = tmp_path / "code_node.js"
    harness.write_text(HARNESS)
    given = tmp_path / f"{name}.input.json"
    given.write_text(json.dumps({"env": env, "json": json_in, "raw": raw}))
    result = subprocess.run(
        [NODE, str(harness), str(source), str(given)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
