// The Code node of sequence_tick.json: on n8n's schedule, ask Django to run its periodic
// jobs (signed like every other call), the same the direct sender runs: scheduled launches
// start, stale claims expire, A/B tests are decided, the sequence tick queues what is due.
// For what it queues, Django posts a campaign-dispatch call that campaign_dispatch.json sends.
const url = $env.CAMPAIGNS_TICK_URL;
if (!SECRETS.length || !url) throw new Error('set CAMPAIGNS_WEBHOOK_SECRET and CAMPAIGNS_TICK_URL');
return [{ json: await django(url, {}, 60000) }];
