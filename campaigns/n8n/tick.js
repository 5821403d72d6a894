// The Code node of sequence_tick.json: on n8n's schedule, ask Django to run the sequence
// tick (signed like every other call). Django queues what is due and, in n8n mode, posts
// a campaign-dispatch call for it, which campaign_dispatch.json then sends.
const crypto = require('crypto');
const secret = ($env.CAMPAIGNS_WEBHOOK_SECRET || '').split(',')[0].trim();
const url = $env.CAMPAIGNS_TICK_URL;
if (!secret || !url) throw new Error('set CAMPAIGNS_WEBHOOK_SECRET and CAMPAIGNS_TICK_URL');
const body = '{}';
const t = Math.floor(Date.now() / 1000);
const signature = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
const result = await this.helpers.httpRequest({
  method: 'POST', url, body, json: false, timeout: 60000,
  headers: { 'Content-Type': 'application/json', 'X-Signature': `t=${t},v1=${signature}` },
});
return [{ json: typeof result === 'string' ? JSON.parse(result) : result }];
