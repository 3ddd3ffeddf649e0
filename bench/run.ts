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
 */
import { Bench, cpuDelta, log, machine, table, versions, writeResult } from './lib';
import type { Benchmark, Ctx } from './context';
import { api } from './context';
import { intake } from './intake-vs-bare';
import { staffAction } from './staff-action';
import { historySize } from './history';
import { register } from './register';
import { storm } from './storm';

// The storm runs last: its cases keep climbing levels afterwards and would load the benchmarks after it.
const ALL: Benchmark[] = [intake, staffAction, historySize, register, storm];

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
  try {
    let pinganWorker = await b.pinganWorker();
    const bareWorker = await b.bareWorker();
    const { url } = await b.pinganApi();
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
      const r = await bench.run(ctx);
      const cpuSeconds = cpuDelta(before, b.cpu());
      const file = writeResult(bench.name, {
        benchmark: bench.name, describe: bench.describe, at: new Date().toISOString(), seconds: (Date.now() - started) / 1000,
        args, machine: machine(), versions: versions(), cpuSeconds, ...r.figures,
      });
      console.log('');
      table(r.table);
      console.log(`CPU s: ${Object.entries(cpuSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(`→ ${file}\n`);
    }
  } finally {
    await b.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  },
);
