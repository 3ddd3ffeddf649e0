/**
 * `npm run bench [-- <names…>] [--key=value …]`: each benchmark runs Pingan and a bare Temporal baseline side by side,
 * in one run, against one throw-away PostgreSQL cluster and one Temporal dev server; Pingan's worker and API run as
 * their production processes (`npm run worker`, `npm run api`). Each writes bench/results/<date>-<name>.json (figures,
 * CPU seconds of each process, core count, versions) and prints a table with the ratio to bare.
 *
 *   npm run bench                                   # every benchmark at its small default size
 *   npm run bench -- intake staff-action --n=400    # some of them, larger
 *   npm run bench -- storm --storm=1000             # escalation storm with 1,000 cases
 *   npm run bench -- register --rows=1000000        # the register with a million cases
 *   npm run bench -- capacity --capacity=10000      # 10,000 open cases: memory, read latency, worker cache
 *   npm run bench -- storm --storm=10000 --monitor=10   # one line every 10 s: each process's CPU % and memory
 *   npm run bench -- mail --mails=600 --rounds=3   # the relay's SMTP sends, pooled against a connection per mail
 *   npm run bench -- staff-action --search-attributes=opening   # Pingan with SEARCH_ATTRIBUTES=opening
 */
import fs from 'node:fs';
import path from 'node:path';
import { Bench, cpuDelta, log, machine, monitor, runScript, table, versions, writeResult } from './lib';
import type { Benchmark, Ctx } from './context';
import { api, retried } from './context';
import { intake } from './intake-vs-bare';
import { staffAction } from './staff-action';
import { historySize } from './history';
import { register } from './register';
import { storm } from './storm';
import { capacity } from './capacity';
import { mail } from './mail';

// The storm runs last: it stops and restarts the workers.
const ALL: Benchmark[] = [intake, staffAction, historySize, register, capacity, mail, storm];

async function main() {
  const args: Record<string, string> = {};
  const names: string[] = [];
  for (const a of process.argv.slice(2)) {
    const m = /^--([\w-]+)=(.*)$/.exec(a);
    if (m) args[m[1]] = m[2];
    else names.push(a);
  }
  const unknown = names.filter((n) => !ALL.some((b) => b.name === n));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${ALL.map((b) => b.name).join(', ')}`);
  const chosen = names.length ? ALL.filter((b) => names.includes(b.name)) : ALL;

  const b = await Bench.start();
  const stopAll = () => void b.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopAll);
  let failed = true;
  const stopMonitor = args.monitor ? monitor(b, Number(args.monitor)) : () => undefined;
  try {
    let pinganWorker = await b.pinganWorker();
    const bareWorker = await b.bareWorker();
    // --search-attributes=opening: the cases Pingan's API starts publish their search attributes at the opening only.
    const { url } = await b.pinganApi(args['search-attributes'] ? { SEARCH_ATTRIBUTES: args['search-attributes'] } : {});
    await Promise.all([pinganWorker.ready, bareWorker.ready]);
    log(`Pingan API ${url}, worker and bare worker running; Temporal ${b.temporal.address}`);
    const ctx: Ctx = {
      b, url, call: api(url), pinganWorker, bareWorker, args,
      async restartPinganWorker() {
        pinganWorker = ctx.pinganWorker = await b.pinganWorker();
        await pinganWorker.ready;
        return pinganWorker;
      },
    };
    for (const bench of chosen) {
      log(`── ${bench.name}: ${bench.describe}`);
      const before = b.cpu();
      const started = Date.now();
      retried.length = 0;
      const r = await bench.run(ctx);
      const serverErrors = newErrorLines(b.dir);
      const cpuSeconds = cpuDelta(before, b.cpu());
      const file = writeResult(bench.name, {
        benchmark: bench.name, describe: bench.describe, at: new Date().toISOString(), seconds: (Date.now() - started) / 1000,
        args, machine: machine(), versions: versions(), cpuSeconds, retriedAfterServerError: [...retried], serverErrors, ...r.figures,
      });
      console.log('');
      table(r.table);
      if (serverErrors.count) console.log(`${serverErrors.count} error line(s) in Pingan's logs; the first: ${serverErrors.first[0]}`);
      if (retried.length) console.log(`${retried.length} intake request(s) answered 5xx and were retried with the same Idempotency-Key: ${retried[0]}`);
      console.log(`CPU s: ${Object.entries(cpuSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(`→ ${file}\n`);
    }
    failed = false;
  } finally {
    stopMonitor();
    await b.stop(failed);
    if (failed) console.error(`logs of the failed run kept in ${b.dir}`);
  }
}

const seen = new Map<string, number>();
/** Error lines that Pingan's processes logged since the last call (the first few of them, and their number). */
function newErrorLines(dir: string): { count: number; first: string[] } {
  const out = { count: 0, first: [] as string[] };
  for (const name of ['pingan-api.log', 'pingan-worker.log']) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const errors = lines.slice(seen.get(name) ?? 0).filter((l) => /"level":"(error|fatal)"/.test(l));
    seen.set(name, lines.length);
    out.count += errors.length;
    out.first.push(...errors.slice(0, 3).map((l) => `${name}: ${l.slice(0, 600)}`));
  }
  return out;
}

runScript(main);
