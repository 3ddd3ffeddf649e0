/**
 * Intake and acceptance latency through the HTTP API of a running Pingan (`npm start` or your deployment).
 * Each intake starts a workflow and answers once the case is in the register; each acceptance is a Temporal Update.
 *
 *   PINGAN_URL=http://127.0.0.1:3000 PINGAN_ADMIN_TOKEN=… N=200 CONCURRENCY=8 npx tsx bench/intake.ts
 *
 * Without PINGAN_ADMIN_TOKEN it reads DATA_DIR/admin-token (default ./.data). Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const url = process.env.PINGAN_URL ?? 'http://127.0.0.1:3000';
const n = Number(process.env.N ?? 200);
const concurrency = Number(process.env.CONCURRENCY ?? 8);
const admin = process.env.PINGAN_ADMIN_TOKEN ?? fs.readFileSync(path.join(process.env.DATA_DIR ?? '.data', 'admin-token'), 'utf8').trim();

async function call(method: string, route: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function timed<T>(items: T[], label: string, fn: (item: T) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      const t = process.hrtime.bigint();
      await fn(item);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (ms.length % 50 === 0) console.log(`  ${label}: ${ms.length}/${items.length}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - started) / 1000;
  const sorted = [...ms].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  console.log(
    `${label.padEnd(10)} n=${ms.length} concurrency=${concurrency}  p50=${q(0.5)} ms  p95=${q(0.95)} ms  p99=${q(0.99)} ms  ` +
      `max=${sorted[sorted.length - 1].toFixed(1)} ms  throughput=${(ms.length / seconds).toFixed(1)}/s`,
  );
  return ms;
}

async function main() {
  const village = `基准县${randomBytes(3).toString('hex')}/基准镇/基准村`;
  const user = async (body: object) => (await call('POST', '/api/v1/users', admin, body)).token as string;
  const grid = await user({ name: '基准网格员', email: 'bench-grid@bench.cn', role: 'grid_worker', area: village });
  const med = await user({ name: '基准调解员', email: 'bench-med@bench.cn', role: 'mediator', level: 'village', area: village });
  console.log(`bench against ${url}: ${n} cases in ${village}`);
  const ids: string[] = [];
  await timed([...Array(n).keys()], 'intake', async (i) => {
    const c = await call('POST', '/api/v1/mediations', grid, {
      category: 'neighbourhood', summary: `基准测试纠纷第${i}件`, area: village, channel: 'grid', parties: [{ name: '甲', role: 'applicant' }],
    });
    ids.push(c.id);
  });
  await timed(ids, 'accept', (id) => call('POST', `/api/v1/mediations/${id}/accept`, med, {}));
  await timed(ids, 'read', (id) => call('GET', `/api/v1/mediations/${id}`, med));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
