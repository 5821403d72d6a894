// Shared by the three Code nodes (build.py puts it at the top of each): the signed call to
// Django, and the check of Django's signed call to n8n. Both directions sign alike:
//   X-Signature: t=<unix seconds>,n=<request id>,v1=<hex HMAC-SHA256(secret,
//                "<t>.<n>.<METHOD>.<path>.<body>")>
// Each call gets a new request id; its retries resend the same signed bytes, so Django runs
// it once and answers every retry as it answered the first (a claim: the same batch).
const crypto = require('crypto');
const helpers = this.helpers;

const SECRETS = ($env.CAMPAIGNS_WEBHOOK_SECRET || '').split(',').map((s) => s.trim()).filter(Boolean);
const TOLERANCE_SECONDS = 300;
const CALL_ATTEMPTS = 4;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The URL's path, without scheme, host, query or fragment (the Code node has no URL class).
const urlPath = (url) => url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/, '') || '/';

function signature(secret, t, n, method, path, body) {
  const hmac = crypto.createHmac('sha256', secret);
  return hmac.update(`${t}.${n}.${method}.${path}.`).update(body).digest('hex');
}

// Throws unless one secret signed exactly this method, path and body within five minutes.
function verifySignature(header, method, path, body) {
  const fields = { t: [], n: [], v1: [] };
  for (const item of (header || '').split(',')) {
    const [key, value, extra] = item.trim().split('=');
    if (!value || extra !== undefined) throw new Error('malformed signature header');
    if (Object.prototype.hasOwnProperty.call(fields, key)) fields[key].push(value);
  }
  const [t] = fields.t;
  const [n] = fields.n;
  if (fields.t.length !== 1 || !/^[0-9]{1,12}$/.test(t)) throw new Error('malformed timestamp');
  if (fields.n.length !== 1 || !/^[A-Za-z0-9_-]{16,64}$/.test(n)) throw new Error('malformed request id');
  if (Math.abs(Date.now() / 1000 - Number(t)) > TOLERANCE_SECONDS) throw new Error('stale signature');
  for (const secret of SECRETS) {
    const expected = Buffer.from(signature(secret, t, n, method, path, body));
    for (const candidate of fields.v1) {
      const given = Buffer.from(candidate);
      if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) return n;
    }
  }
  throw new Error('bad signature');
}

// POST a payload to Django, signed. Retried, with the same signature, after a network
// error or a timeout, a 5xx, or a 409 with Retry-After (the first attempt still runs);
// never once the signature's five minutes are over. Resolves to { status, data }.
async function signedPost(url, payload, timeout = 30000) {
  const body = JSON.stringify(payload);
  const t = Math.floor(Date.now() / 1000);
  const n = crypto.randomBytes(24).toString('base64url');
  const header = `t=${t},n=${n},v1=${signature(SECRETS[0], t, n, 'POST', urlPath(url), body)}`;
  let problem = '';
  for (let attempt = 0; attempt < CALL_ATTEMPTS; attempt++) {
    if (attempt) await sleep(500 * 2 ** attempt);
    if (Date.now() / 1000 - t > TOLERANCE_SECONDS - 10) break;
    let response;
    try {
      response = await helpers.httpRequest({
        method: 'POST', url, body, json: false, returnFullResponse: true,
        ignoreHttpStatusErrors: true, timeout,
        headers: { 'Content-Type': 'application/json', 'X-Signature': header },
      });
    } catch (error) {
      problem = error.message;
      continue;
    }
    const status = response.statusCode;
    const data = typeof response.body === 'string' ? JSON.parse(response.body || '{}') : response.body;
    const busy = status === 409 && (response.headers || {})['retry-after'] !== undefined;
    if (status < 500 && !busy) return { status, data };
    problem = `HTTP ${status} ${JSON.stringify(data)}`;
  }
  throw new Error(`Django did not answer ${url}: ${problem}`);
}

// The answer's data, or an error naming what Django refused.
function expectOk(url, answer) {
  if (answer.status >= 300) throw new Error(`Django answered ${answer.status} to ${url}: ${JSON.stringify(answer.data)}`);
  return answer.data;
}

async function django(url, payload, timeout) {
  return expectOk(url, await signedPost(url, payload, timeout));
}
