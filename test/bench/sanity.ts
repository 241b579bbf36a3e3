// One request of each kind through a target before measuring it, so the bench never measures something broken.

import { clientPool, messageRequest } from './load';

export async function sanity(name: string, url: string, expectSwitchyardHeader: boolean): Promise<void> {
  const pool = clientPool(url, 1);
  try {
    const res = await pool.request(messageRequest('json'));
    const text = await res.body.text();
    if (res.statusCode !== 200 || !text.includes('"type":"message"')) throw new Error(`${name}: status ${res.statusCode}: ${text.slice(0, 200)}`);
    if (expectSwitchyardHeader && res.headers['x-switchyard-endpoint'] !== 'a') throw new Error(`${name}: no x-switchyard-endpoint header`);
    const sse = await pool.request(messageRequest('sse'));
    const events = await sse.body.text();
    if (!events.includes('message_stop')) throw new Error(`${name}: SSE reply incomplete: ${events.slice(0, 200)}`);
  } finally {
    await pool.destroy();
  }
}
