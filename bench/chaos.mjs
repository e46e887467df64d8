#!/usr/bin/env node
// The chaos check: one item with stock S, N parallel reservation attempts of one
// unit each over real HTTP. Exactly S must succeed, nothing may be oversold.
//
//   npm run chaos -- --url http://localhost:3000 --key <api key> [--stock 5] [--attempts 50]
//   (or CHAOS_URL / API_KEY in the environment)
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.CHAOS_URL ?? 'http://localhost:3000' },
    key: { type: 'string', default: process.env.API_KEY },
    stock: { type: 'string', default: '5' },
    attempts: { type: 'string', default: '50' },
  },
});
const stock = Number(values.stock);
const attempts = Number(values.attempts);
if (!values.key) {
  console.error('An API key is needed: --key <key> or API_KEY=<key> (npm start prints one on first run)');
  process.exit(2);
}
const headers = { Authorization: `Bearer ${values.key}`, 'Content-Type': 'application/json' };
const api = async (method, path, body) => {
  const res = await fetch(`${values.url}${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};

const created = await api('POST', '/api/items', { name: `chaos-${Date.now()}-${process.pid}`, qty: stock });
if (created.status !== 201) {
  console.error(`Could not create the item: ${created.status} ${JSON.stringify(created.body)}`);
  process.exit(2);
}
const itemId = created.body.data.id;

const results = await Promise.all(
  Array.from({ length: attempts }, () =>
    api('POST', '/api/reservations', { lines: [{ item_id: itemId, quantity: 1 }] }),
  ),
);
const succeeded = results.filter((r) => r.status === 201).length;
const rejected = results.filter((r) => r.status === 400 && r.body.error === 'insufficient_stock').length;
const unexpected = results.filter(
  (r) => r.status !== 201 && !(r.status === 400 && r.body.error === 'insufficient_stock'),
);
const item = (await api('GET', `/api/items/${itemId}`)).body.data;
// The ledger explains the result: one `reserved` movement per hold taken, numbered without a gap,
// the last one leaving the row as it is.
const movements = [];
for (let cursor; ;) {
  const page = (await api('GET', `/api/items/${itemId}/movements?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).body;
  movements.push(...page.data);
  cursor = page.page.next_cursor;
  if (!cursor) break;
}
const seqs = movements.map((m) => m.seq).sort((a, b) => a - b);
const ledgerOk =
  movements.filter((m) => m.type === 'reserved').length === succeeded &&
  seqs.every((s, i) => s === i + 1) &&
  movements.reduce((sum, m) => sum + m.reserved_delta, 0) === item.reserved &&
  movements.reduce((sum, m) => sum + m.on_hand_delta, 0) === item.qty;

console.log(`Item: ${itemId} (stock ${stock}, ${attempts} parallel attempts)`);
console.log(`Succeeded: ${succeeded}`);
console.log(`Failed: ${attempts - succeeded}`);
console.log(`Final available: ${item.available}`);
console.log(`Final reserved: ${item.reserved}`);
console.log(`Ledger: ${movements.length} movements, ${ledgerOk ? 'they explain every unit' : 'they do NOT add up'}`);
for (const r of unexpected.slice(0, 5)) console.log(`Unexpected response: ${r.status} ${JSON.stringify(r.body)}`);

const ok =
  succeeded === Math.min(stock, attempts) &&
  rejected === attempts - succeeded &&
  item.available === stock - succeeded &&
  item.reserved === succeeded &&
  ledgerOk;
console.log(ok ? 'OK: nothing oversold' : 'FAILED: the figures above are not what the promise allows');
process.exit(ok ? 0 : 1);
