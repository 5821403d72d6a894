// The Code node of campaign_dispatch.json (kept here as a file so it can be read and
// reviewed; tests/n8n/build_workflow.py copies it into the workflow JSON).
//
// Verifies Django's signature on the dispatch call, then loops: claim the next rendered
// message, send it through the Gmail API with a short-lived token from Django (429 and
// 5xx retried with backoff, 4xx not retried), log the result, and finally report the
// campaign's status with the spec's stats. Every call to Django is signed the same way.
const crypto = require('crypto');
const helpers = this.helpers;

const secrets = ($env.CAMPAIGNS_WEBHOOK_SECRET || '').split(',').map((s) => s.trim()).filter(Boolean);
const gmailBase = ($env.GMAIL_API_BASE_URL || 'https://gmail.googleapis.com').replace(/\/$/, '');
// One message a claim, logged as soon as Gmail answers. A claimed message is never sent
// again (nobody knows whether Gmail got it), so a worker killed mid-run must hold as few as
// possible: with batches, n8n's re-run of the execution left the rest of a killed worker's
// batch unsent for good, counted against the daily cap. The quota paces an account to a
// message every 0.4 s anyway; a batch only saved calls to Django.
const BATCH = 1;
const MAX_ATTEMPTS = 5;
const TOLERANCE_SECONDS = 300;

const hmac = (secret, text) => crypto.createHmac('sha256', secret).update(text).digest('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function verify(header, raw) {
  const parts = {};
  const signatures = [];
  for (const item of (header || '').split(',')) {
    const [key, value] = item.trim().split('=');
    if (key === 't') parts.t = value;
    if (key === 'v1' && value) signatures.push(value);
  }
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !signatures.length) throw new Error('unsigned dispatch call');
  if (Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) throw new Error('stale dispatch call');
  const message = Buffer.concat([Buffer.from(`${t}.`), raw]);
  for (const secret of secrets) {
    const expected = Buffer.from(crypto.createHmac('sha256', secret).update(message).digest('hex'));
    for (const candidate of signatures) {
      const given = Buffer.from(candidate);
      if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) return;
    }
  }
  throw new Error('bad signature on the dispatch call');
}

async function django(url, payload) {
  const body = JSON.stringify(payload);
  const t = Math.floor(Date.now() / 1000);
  for (let attempt = 0; ; attempt++) {
    const response = await helpers.httpRequest({
      method: 'POST', url, body, json: false, returnFullResponse: true,
      ignoreHttpStatusErrors: true, timeout: 30000,
      headers: { 'Content-Type': 'application/json', 'X-Signature': `t=${t},v1=${hmac(secrets[0], `${t}.${body}`)}` },
    });
    const status = response.statusCode;
    const data = typeof response.body === 'string' ? JSON.parse(response.body || '{}') : response.body;
    if (status < 300) return data;
    if (status < 500 || attempt >= 3) throw new Error(`Django answered ${status} to ${url}: ${JSON.stringify(data)}`);
    await sleep(500 * 2 ** attempt);
  }
}

async function sendOne(message, token) {
  let lastError = '';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const response = await helpers.httpRequest({
      method: 'POST', url: `${gmailBase}/gmail/v1/users/me/messages/send`,
      body: JSON.stringify(message.thread_id ? { raw: message.raw, threadId: message.thread_id } : { raw: message.raw }),
      json: false, returnFullResponse: true, ignoreHttpStatusErrors: true, timeout: 30000,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.value}` },
    });
    const data = typeof response.body === 'string' ? JSON.parse(response.body || '{}') : response.body;
    if (response.statusCode === 200) {
      return { status: 'sent', provider_message_id: data.id, thread_id: data.threadId || '' };
    }
    const reason = ((data.error || {}).errors || [{}])[0].reason || '';
    lastError = `HTTP ${response.statusCode} ${reason}: ${(data.error || {}).message || ''}`.trim();
    if (response.statusCode === 401 && !token.refreshed) {
      token.value = (await django(token.url, {})).access_token;
      token.refreshed = true;
      continue;
    }
    if (response.statusCode !== 429 && response.statusCode < 500) break; // 4xx: not retried
    const retryAfter = Number((response.headers || {})['retry-after']);
    const backoff = Math.random() * Math.min(30000, 500 * 2 ** attempt);
    await sleep(Number.isFinite(retryAfter) ? retryAfter * 1000 : backoff);
  }
  return { status: 'failed', error: lastError };
}

const item = $input.first();
const raw = await helpers.getBinaryDataBuffer(0, 'data');
verify(item.json.headers['x-signature'], raw);
const dispatch = JSON.parse(raw.toString('utf8'));
const api = dispatch.api;
const stats = { total_leads: 0, sent: 0, failed: 0 };
const errors = [];
const token = { url: api.token_url, value: null, refreshed: false };

await django(api.status_url, { campaign_id: dispatch.campaign_id, dispatch_id: dispatch.dispatch_id, status: 'processing' });
for (;;) {
  const batch = await django(api.claim_url, { limit: BATCH });
  const claimedAt = Date.now();
  if (!batch.messages.length) {
    // Django's outbox holds the account's per-minute quota, daily cap and rest for every
    // sender: when nothing may go yet it says when to come back, and Gmail is not called.
    if (batch.retry_after == null) break;
    await sleep(batch.retry_after * 1000);
    continue;
  }
  if (!token.value) token.value = (await django(api.token_url, {})).access_token;
  const reports = [];
  for (const message of batch.messages) {
    // Each message has its own slot under the quota, shared with the account's other senders.
    await sleep(claimedAt + (message.send_after_seconds || 0) * 1000 - Date.now());
    const result = await sendOne(message, token);
    stats.total_leads += 1;
    stats[result.status] += 1;
    if (result.status === 'failed') errors.push({ lead_id: message.lead_id, error: result.error });
    reports.push({
      campaign_id: message.campaign_id, lead_id: message.lead_id,
      message_log_id: message.message_log_id, sent_at: new Date().toISOString(), ...result,
    });
  }
  await django(api.log_url, { messages: reports });
}
stats.delivery_rate = stats.total_leads ? Math.round((10000 * stats.sent) / stats.total_leads) / 100 : 0;
const final = stats.failed && !stats.sent ? 'failed' : 'completed';
await django(api.status_url, {
  campaign_id: dispatch.campaign_id, dispatch_id: dispatch.dispatch_id, status: final, stats, errors: errors.slice(0, 100),
});
return [{ json: { dispatch_id: dispatch.dispatch_id, status: final, stats } }];
