// A local webhook consumer for the bench: answers 204, keeps when each event
// arrived (to measure the lag from its commit), and verifies the signature of
// every VERIFY_EVERY-th message with the standardwebhooks library (all of them
// would make the bench process, on the same cores, the bottleneck).
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const VERIFY_EVERY = 50;

export async function startReceiver() {
  let secret;
  let count = 0;
  const arrivals = new Map(); // event id -> lag in ms (first arrival)
  let unverified = 0;
  let verified = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const text = Buffer.concat(chunks).toString('utf8');
      if (secret && count++ % VERIFY_EVERY === 0) {
        try {
          new Webhook(secret).verify(text, req.headers);
          verified++;
        } catch {
          unverified++;
        }
      }
      // One event, or a batch of them: the lag of each, from its transaction to its first arrival.
      const body = JSON.parse(text);
      for (const event of body.type === 'batch' ? body.data : [body.data]) {
        if (!arrivals.has(event.id)) arrivals.set(event.id, at - Date.parse(event.occurred_at));
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    setSecret: (s) => (secret = s),
    reset: () => arrivals.clear(),
    arrivals,
    checks: () => ({ verified, unverified }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
