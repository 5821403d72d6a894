// The Code node of reply_check.json: on n8n's schedule, ask Django to read replies and
// bounces from Gmail (signed like every other call). Django reads the threads of each
// opted-in account and answers with what it found.
const crypto = require('crypto');
const secret = ($env.CAMPAIGNS_WEBHOOK_SECRET || '').split(',')[0].trim();
const url = $env.CAMPAIGNS_CHECK_REPLIES_URL;
if (!secret || !url) throw new Error('set CAMPAIGNS_WEBHOOK_SECRET and CAMPAIGNS_CHECK_REPLIES_URL');
const body = '{}';
const t = Math.floor(Date.now() / 1000);
const signature = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
const result = await this.helpers.httpRequest({
  method: 'POST', url, body, json: false, timeout: 300000,
  headers: { 'Content-Type': 'application/json', 'X-Signature': `t=${t},v1=${signature}` },
});
return [{ json: typeof result === 'string' ? JSON.parse(result) : result }];
