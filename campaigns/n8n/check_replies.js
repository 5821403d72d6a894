// The Code node of reply_check.json: on n8n's schedule, ask Django to read replies and
// bounces from Gmail (signed like every other call). Django reads the threads of each
// opted-in account and answers with what it found.
const url = $env.CAMPAIGNS_CHECK_REPLIES_URL;
if (!SECRETS.length || !url) throw new Error('set CAMPAIGNS_WEBHOOK_SECRET and CAMPAIGNS_CHECK_REPLIES_URL');
return [{ json: await django(url, {}, 240000) }];
