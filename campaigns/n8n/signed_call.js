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
// A call is retried for minutes, not seconds: long enough for Django's database to restart
// or a web worker to be replaced, and short of the signature's five minutes (Django's clock
// may differ from ours by a few seconds).
const RETRY_FOR_SECONDS = Number($env.CAMPAIGNS_RETRY_FOR_SECONDS) || TOLERANCE_SECONDS - 30;
const RETRY_MAX_WAIT_MS = 15000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
// The URL's path, without scheme, host, query or fragment (the Code node has no URL class).
const urlPath = (url) => url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/, '') || '/';

// A JSON answer's object, or undefined when the body is not JSON (a proxy's or a crashing
// server's HTML page): read inside the caller's try, never thrown.
function parsedBody(body) {
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) return body;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? '');
  try {
    const data = JSON.parse(text || '{}');
    return data !== null && typeof data === 'object' ? data : undefined;
  } catch (error) {
    return undefined;
  }
}

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

// POST a payload to Django, signed. Retried, with the same signature, for `retryFor` seconds
// (RETRY_FOR_SECONDS at most) after a network error or a timeout, a 5xx, an answer that is
// not JSON (a server error page), or a 409 with Retry-After (the first attempt still runs):
// Django runs the call once whatever the number of attempts. Resolves to { status, data } with Django's JSON
// answer; throws once the time is up, naming the last problem.
async function signedPost(url, payload, timeout = 30000, retryFor = RETRY_FOR_SECONDS) {
  const body = JSON.stringify(payload);
  const t = Math.floor(Date.now() / 1000);
  const n = crypto.randomBytes(24).toString('base64url');
  const header = `t=${t},n=${n},v1=${signature(SECRETS[0], t, n, 'POST', urlPath(url), body)}`;
  const giveUpAt = (t + Math.min(retryFor, RETRY_FOR_SECONDS)) * 1000;
  let problem = '';
  for (let attempt = 0; ; attempt++) {
    if (attempt) {
      const wait = Math.min(RETRY_MAX_WAIT_MS, 500 * 2 ** attempt);
      if (Date.now() + wait > giveUpAt) break;
      await sleep(wait);
    }
    try {
      const response = await helpers.httpRequest({
        method: 'POST', url, body, json: false, returnFullResponse: true,
        ignoreHttpStatusErrors: true, timeout,
        headers: { 'Content-Type': 'application/json', 'X-Signature': header },
      });
      const status = response.statusCode;
      const data = parsedBody(response.body);
      const busy = status === 409 && (response.headers || {})['retry-after'] !== undefined;
      if (data !== undefined && status < 500 && !busy) return { status, data };
      const said = data === undefined ? 'an answer that is not JSON' : JSON.stringify(data).slice(0, 300);
      problem = `HTTP ${status}: ${said}`;
    } catch (error) {
      problem = error.message;
    }
  }
  throw new Error(`Django did not answer ${url} in time: ${problem}`);
}

// The answer's data, or an error naming what Django refused.
function expectOk(url, answer) {
  if (answer.status >= 300) throw new Error(`Django answered ${answer.status} to ${url}: ${JSON.stringify(answer.data)}`);
  return answer.data;
}

async function django(url, payload, timeout) {
  return expectOk(url, await signedPost(url, payload, timeout));
}
