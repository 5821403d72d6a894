// The Code node of sequence_tick.json: on n8n's schedule, ask Django to run the sequence
// tick (signed like every other call). Django queues what is due and, in n8n mode, posts
// a campaign-dispatch call for it, which campaign_dispatch.json then sends.
const url = $env.CAMPAIGNS_TICK_URL;
if (!SECRETS.length || !url) throw new Error('set CAMPAIGNS_WEBHOOK_SECRET and CAMPAIGNS_TICK_URL');
return [{ json: await django(url, {}, 60000) }];
