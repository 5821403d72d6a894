// The Code node of campaign_dispatch.json (kept here as a file so it can be read and
// reviewed; campaigns/n8n/build.py puts signed_call.js before it in the workflow JSON).
//
// Verifies Django's signature on the dispatch call (over this webhook's path), then loops:
// get a short-lived token from Django, claim the next rendered message, send it through
// the Gmail API, report what Gmail answered, until Django's claim says the dispatch is done;
// then report the campaign's status with the spec's stats. Django answers 409 to the token
// and the claim once the campaign is paused or cancelled: the run stops there.
//
// The run survives what passes: every answer is read inside a try, every call to Django is
// retried for minutes with the same request id, and each message is handled in a try of its
// own. What Gmail answered goes to Django as it is (sent; an error and its HTTP status; no
// answer; not sent at all) and Django decides what becomes of the message: sent, failed for
// good, back in the queue while the account rests, or unknown (it may have gone). A run that
// still cannot reach Django after GIVE_UP_MS ends with an error; Django's watchdog starts
// another once the dispatch has made no claim for a while.
//
// A batch is all of one account (`account_id`): a campaign sent from each lead's agent
// spreads over their accounts, and a batch of an agent's goes with that account's token.
const gmailBase = ($env.GMAIL_API_BASE_URL || 'https://gmail.googleapis.com').replace(/\/$/, '');
// One message a claim, logged as soon as Gmail answers. A claimed message is never sent
// again (nobody knows whether Gmail got it), so a worker killed mid-run must hold as few as
// possible: with batches, n8n's re-run of the execution left the rest of a killed worker's
// batch unsent for good, counted against the daily cap. The quota paces an account to a
// message every 0.4 s anyway; a batch only saved calls to Django.
const BATCH = 1;
// Gmail's 429 and 5xx are tried again a few times, seconds apart; an error that lasts goes
// to Django, which puts the message back and rests the account (minutes, not seconds).
const GMAIL_ATTEMPTS = 3;
const GMAIL_TIMEOUT_MS = (Number($env.GMAIL_TIMEOUT_SECONDS) || 30) * 1000;
const LONGEST_GMAIL_WAIT_MS = 60000;
// How long a run goes on trying while Django cannot be reached (each call is retried for
// minutes already); when no claim says how long to wait, how long to wait before the next.
const GIVE_UP_MS = (Number($env.CAMPAIGNS_GIVE_UP_SECONDS) || 600) * 1000;
const IDLE_SECONDS = 5;
// Errors of the connection that mean the request never reached Gmail: nothing was sent.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

// Django refused a call (a 4xx that no retry changes): the run cannot go on.
class Refused extends Error {}

function neverSent(error) {
  const code = (error && (error.code || (error.cause && error.cause.code))) || '';
  return NEVER_SENT.has(code) || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(String(error && error.message));
}

// A 409 that carries `state` means the dispatch stopped sending (paused or cancelled); a
// 409 to the token call, that the account needs reconnecting (its campaigns are paused).
const stoppedState = (answer) => (answer.status === 409 && (answer.data.state || answer.data.error)) || null;

function accepted(url, answer) {
  if (answer.status >= 300) throw new Refused(`Django answered ${answer.status} to ${url}: ${JSON.stringify(answer.data)}`);
  return answer.data;
}

// A message in hand waits this long at most for a token (a new one after Gmail refused ours,
// or an agent's); then it goes back to Django unsent, and the next claim waits for a token
// first, holding nothing.
const REFRESH_IN_HAND_SECONDS = 20;

// The token from Django for `token.account`, unless we hold one. `stale`: Gmail refused the
// one we had, so Django asks Google for a new one although its own has not expired. The
// call is retried for minutes (the token endpoint failing is not the message's fault).
// Resolves to the stopped state when Django refuses the dispatch's own token (a pause).
async function ensureToken(token, retryFor = RETRY_FOR_SECONDS) {
  if (token.value) return null;
  const answer = await signedPost(token.url, token.stale ? { ...token.body, refresh: true } : token.body, 30000, retryFor);
  const stopped = token.own ? stoppedState(answer) : null;
  if (stopped) return stopped;
  token.value = accepted(token.url, answer).access_token;
  token.stale = false;
  return null;
}

// The token of the account a batch goes through: the dispatch's own (taken before each
// claim), or an agent's, asked for once and kept (Django gives it for a batch in flight).
const agentTokens = {};
async function batchToken(batch, own) {
  if (!batch.account_id || batch.account_id === own.account) return own;
  if (!agentTokens[batch.account_id]) {
    agentTokens[batch.account_id] = { url: own.url, body: { account_id: batch.account_id }, account: batch.account_id, value: null, stale: false };
  }
  const token = agentTokens[batch.account_id];
  await ensureToken(token, REFRESH_IN_HAND_SECONDS); // the batch is in hand
  return token;
}

function gmailError(status, data) {
  const error = (data && data.error) || {};
  const reason = ((error.errors || [{}])[0] || {}).reason || error.status || '';
  return { reason, text: `HTTP ${status} ${reason}: ${error.message || ''}`.trim() };
}

// What became of one message at Gmail, never thrown: `sent`; `failed` with Gmail's error
// (`gmail_status`, `gmail_reason`); `no_answer` when the request went out and no answer
// came (Gmail may have the message: it must not be sent again); `not_sent` when Gmail was
// never reached (no token, connection refused).
async function sendOne(message, token) {
  const body = JSON.stringify(message.thread_id ? { raw: message.raw, threadId: message.thread_id } : { raw: message.raw });
  let refreshed = false;
  let last = { status: 'not_sent', error: 'Gmail was not called' };
  for (let attempt = 0; attempt < GMAIL_ATTEMPTS; attempt++) {
    let response;
    try {
      response = await helpers.httpRequest({
        method: 'POST', url: `${gmailBase}/gmail/v1/users/me/messages/send`, body,
        json: false, returnFullResponse: true, ignoreHttpStatusErrors: true, timeout: GMAIL_TIMEOUT_MS,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.value}` },
      });
    } catch (error) {
      if (!neverSent(error)) return { status: 'no_answer', error: `no answer from Gmail: ${error.message}` };
      last = { status: 'not_sent', error: `Gmail could not be reached: ${error.message}` };
      await sleep(1000 * 2 ** attempt);
      continue;
    }
    const status = response.statusCode;
    const data = parsedBody(response.body);
    if (status === 200) {
      if (data && data.id) return { status: 'sent', provider_message_id: String(data.id), thread_id: String(data.threadId || '') };
      return { status: 'no_answer', error: 'Gmail answered 200 without a message id' };
    }
    const { reason, text } = gmailError(status, data);
    // Gmail's reason as Django takes it: printable ASCII, without spaces.
    const gmailReason = String(reason).replace(/[^\x21-\x7e]/g, '').slice(0, 100);
    last = { status: 'failed', gmail_status: status, gmail_reason: gmailReason, error: text };
    if (status === 401 && !refreshed) {
      refreshed = true;
      token.value = null;
      token.stale = true;
      try {
        await ensureToken(token, REFRESH_IN_HAND_SECONDS);
      } catch (error) {
        return { status: 'not_sent', error: `no new access token: ${error.message}` };
      }
      if (!token.value) return { status: 'not_sent', error: 'no new access token: the dispatch stopped' };
      attempt -= 1; // a new token is not a retry of Gmail's error
      continue;
    }
    if (status !== 429 && status < 500) break; // Gmail refused this message: Django decides
    const retryAfter = Number((response.headers || {})['retry-after']) * 1000;
    if (attempt + 1 < GMAIL_ATTEMPTS) {
      if (retryAfter > LONGEST_GMAIL_WAIT_MS) break;
      await sleep(Number.isFinite(retryAfter) ? retryAfter : Math.random() * 1000 * 2 ** (attempt + 1));
    }
  }
  return last;
}

const item = $input.first();
const raw = await helpers.getBinaryDataBuffer(0, 'data');
verifySignature(item.json.headers['x-signature'], 'POST', urlPath(item.json.webhookUrl), raw);
const dispatch = JSON.parse(raw.toString('utf8'));
const api = dispatch.api;
const stats = { total_leads: 0, sent: 0, failed: 0 };
const errors = [];
const token = { url: api.token_url, body: {}, account: dispatch.email_account_id, value: null, stale: false, own: true };
const run = { stopped: null, done: false, unreported: [] };
const problems = [];

// Report what Gmail said, with whatever a failed report left behind (kept for the next
// report while Django cannot be reached). Django answers with each message's status now.
async function report(outcomes) {
  run.unreported.push(...outcomes);
  if (!run.unreported.length) return;
  const messages = run.unreported.splice(0);
  let answer;
  try {
    answer = accepted(api.log_url, await signedPost(api.log_url, { messages }));
  } catch (error) {
    if (!(error instanceof Refused)) {
      run.unreported.unshift(...messages);
      throw error;
    }
    problems.push(error.message); // Django refused these reports: it keeps what it has
    return;
  }
  const sent = Object.fromEntries(messages.map((m) => [m.message_log_id, m]));
  for (const result of answer.results || []) {
    if (['sent', 'failed', 'unknown'].includes(result.status)) stats.total_leads += 1;
    if (result.status === 'sent') stats.sent += 1;
    if (result.status === 'failed') {
      stats.failed += 1;
      const message = sent[result.message_log_id] || {};
      errors.push({ lead_id: message.lead_id || null, error: String(message.error || 'failed').slice(0, 2000) });
    }
  }
}

// One claim and its messages.
async function step() {
  await report([]);
  run.stopped = await ensureToken(token);
  if (run.stopped) return;
  const answer = await signedPost(api.claim_url, { limit: BATCH });
  const claimedAt = Date.now();
  run.stopped = stoppedState(answer);
  if (run.stopped) return;
  const batch = accepted(api.claim_url, answer);
  if (!batch.messages.length) {
    if (batch.done) {
      run.done = true;
      return;
    }
    // Django's outbox holds the account's per-minute quota, daily cap and rest for every
    // sender: when nothing may go yet it says when to come back, and Gmail is not called.
    const wait = batch.retry_after == null ? IDLE_SECONDS : batch.retry_after;
    await sleep(wait * 1000);
    if (wait >= 300) {
      // A token lives an hour: fresh ones after a long wait.
      token.value = null;
      for (const account of Object.keys(agentTokens)) delete agentTokens[account];
    }
    return;
  }
  const outcomes = [];
  for (const message of batch.messages) {
    // Each message has its own slot under the quota, shared with the account's other senders.
    await sleep(claimedAt + (message.send_after_seconds || 0) * 1000 - Date.now());
    let outcome;
    try {
      outcome = await sendOne(message, await batchToken(batch, token));
    } catch (error) {
      outcome = { status: 'not_sent', error: `not sent: ${error.message}` }; // no token
    }
    outcomes.push({
      campaign_id: message.campaign_id, lead_id: message.lead_id, message_log_id: message.message_log_id,
      ...(outcome.status === 'sent' ? { sent_at: new Date().toISOString() } : {}), ...outcome,
    });
  }
  await report(outcomes);
}

try {
  await django(api.status_url, { campaign_id: dispatch.campaign_id, dispatch_id: dispatch.dispatch_id, status: 'processing' });
} catch (error) {
  problems.push(error.message); // a courtesy: sending does not wait for it
}
let progressed = Date.now();
while (!run.done && !run.stopped) {
  try {
    await step();
    progressed = Date.now();
  } catch (error) {
    problems.push(error.message);
    if (error instanceof Refused || Date.now() - progressed > GIVE_UP_MS) {
      throw new Error(`the run stops (another is started by Django's watchdog): ${problems.slice(-3).join(' | ')}`);
    }
    await sleep(IDLE_SECONDS * 1000);
  }
}
await report([]); // what is left, before the status that ends the run
stats.delivery_rate = stats.total_leads ? Math.round((10000 * stats.sent) / stats.total_leads) / 100 : 0;
// Stopped by a pause or a cancel, the dispatch is not finished: it is still "processing".
const final = run.stopped ? 'processing' : stats.failed && !stats.sent ? 'failed' : 'completed';
await django(api.status_url, {
  campaign_id: dispatch.campaign_id, dispatch_id: dispatch.dispatch_id, status: final, stats, errors: errors.slice(0, 100),
});
return [{ json: { dispatch_id: dispatch.dispatch_id, status: final, stopped: run.stopped, stats, problems: problems.slice(-10) } }];
