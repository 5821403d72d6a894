// The Code node of campaign_dispatch.json (kept here as a file so it can be read and
// reviewed; campaigns/n8n/build.py puts signed_call.js before it in the workflow JSON).
//
// Verifies Django's signature on the dispatch call (over this webhook's path), then loops:
// get a short-lived token from Django, claim the next rendered message, send it
// through the Gmail API (429 and 5xx retried with backoff, 4xx not retried), log the
// results, and finally report the campaign's status with the spec's stats. Django answers
// 409 to the token and the claim once the campaign is paused or cancelled: the loop stops.
// A batch is all of one account (`account_id`): a campaign sent from each lead's agent
// spreads over their accounts, and a batch of an agent's goes with that account's token.
const gmailBase = ($env.GMAIL_API_BASE_URL || 'https://gmail.googleapis.com').replace(/\/$/, '');
// One message a claim, logged as soon as Gmail answers. A claimed message is never sent
// again (nobody knows whether Gmail got it), so a worker killed mid-run must hold as few as
// possible: with batches, n8n's re-run of the execution left the rest of a killed worker's
// batch unsent for good, counted against the daily cap. The quota paces an account to a
// message every 0.4 s anyway; a batch only saved calls to Django.
const BATCH = 1;
const MAX_ATTEMPTS = 5;

// A 409 that carries `state` means the dispatch stopped sending (paused or cancelled).
const stoppedState = (answer) => (answer.status === 409 && answer.data.state) || null;

async function refreshedToken(token) {
  token.value = (await django(token.url, token.body)).access_token;
  token.refreshed = true;
}

// The token of the account a batch goes through: the dispatch's own (taken before each
// claim), or an agent's, asked for once and kept (Django gives it for a batch in flight).
const agentTokens = {};
async function batchToken(batch, own) {
  if (!batch.account_id || batch.account_id === own.account) return own;
  let token = agentTokens[batch.account_id];
  if (!token) {
    token = { url: own.url, body: { account_id: batch.account_id }, account: batch.account_id };
    token.value = (await django(token.url, token.body)).access_token;
    token.refreshed = false;
    agentTokens[batch.account_id] = token;
  }
  return token;
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
      try {
        await refreshedToken(token);
      } catch (error) {
        return { status: 'failed', error: `no new access token: ${error.message}` };
      }
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
verifySignature(item.json.headers['x-signature'], 'POST', urlPath(item.json.webhookUrl), raw);
const dispatch = JSON.parse(raw.toString('utf8'));
const api = dispatch.api;
const stats = { total_leads: 0, sent: 0, failed: 0 };
const errors = [];
const token = { url: api.token_url, body: {}, account: dispatch.email_account_id, value: null, refreshed: false };
let stopped = null;

await django(api.status_url, { campaign_id: dispatch.campaign_id, dispatch_id: dispatch.dispatch_id, status: 'processing' });
for (;;) {
  if (!token.value) {
    const answer = await signedPost(api.token_url, {});
    stopped = stoppedState(answer);
    if (stopped) break;
    token.value = expectOk(api.token_url, answer).access_token;
  }
  const answer = await signedPost(api.claim_url, { limit: BATCH });
  const claimedAt = Date.now();
  stopped = stoppedState(answer);
  if (stopped) break;
  const batch = expectOk(api.claim_url, answer);
  if (!batch.messages.length) {
    // Django's outbox holds the account's per-minute quota, daily cap and rest for every
    // sender: when nothing may go yet it says when to come back, and Gmail is not called.
    if (batch.retry_after == null) break;
    await sleep(batch.retry_after * 1000);
    if (batch.retry_after >= 300) {
      // A token lives an hour: fresh ones after a long wait.
      token.value = null;
      for (const account of Object.keys(agentTokens)) delete agentTokens[account];
    }
    continue;
  }
  const sender = await batchToken(batch, token);
  const reports = [];
  for (const message of batch.messages) {
    // Each message has its own slot under the quota, shared with the account's other senders.
    await sleep(claimedAt + (message.send_after_seconds || 0) * 1000 - Date.now());
    const result = await sendOne(message, sender);
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
// Stopped by a pause or a cancel, the dispatch is not finished: it is still "processing".
const final = stopped ? 'processing' : stats.failed && !stats.sent ? 'failed' : 'completed';
await django(api.status_url, {
  campaign_id: dispatch.campaign_id, dispatch_id: dispatch.dispatch_id, status: final, stats, errors: errors.slice(0, 100),
});
return [{ json: { dispatch_id: dispatch.dispatch_id, status: final, stopped, stats } }];
