import { bareIntake, benchVillage, num, pinganIntake, type Benchmark, type Ctx } from './context';
import { drive, log, percentiles, ratio, tag, treeRssMB, type Proc } from './lib';

/**
 * Capacity: N open mediation cases, each with its acceptance timer pending, against N bare workflows each waiting on
 * a timer. Measured: resident memory of the worker, the Temporal server and the API (idle, with Pingan's N open, with
 * the bare N open as well), and the API's read latency (a case page read live from its workflow, and the filtered
 * register list) with every case open against idle. Then the same reads with the worker restarted on a small sticky
 * cache (WORKER_MAX_CACHED_WORKFLOWS), so that the cache setting is chosen from figures: a smaller cache trades worker
 * memory for replays on reads of cases that fell out of it.
 *
 *   npm run bench -- capacity --capacity=10000 --cache=200
 *   npm run bench -- capacity --capacity=100000 --bare=20000 --step=10000 --monitor=60
 */
export const capacity: Benchmark = {
  name: 'capacity',
  describe: 'N open cases with pending timers vs N bare workflows with timers: memory of each process, API read p50/p99 open vs idle, and with a small worker cache',
  async run(ctx) {
    const n = num(ctx, 'capacity', 300);
    // Bare workflows to open beside them (fewer than n saves an hour at 100,000; the per-workflow figure is per bare one).
    const bareN = num(ctx, 'bare', n);
    const smallCache = num(ctx, 'cache', 200);
    const reads = num(ctx, 'reads', 200);
    const v = await benchVillage(ctx, '容量');
    const api = apiProc(ctx);

    // A few cases to read while the system is otherwise idle.
    const first: string[] = [];
    await drive([...Array(20).keys()], 4, 'first cases', async (i) => first.push(await pinganIntake(ctx.call, v.grid, v.village, i)));
    const idle = { memoryMB: memory(ctx, api), reads: await readLatency(ctx, v, first, reads, 'idle') };

    const ids = [...first];
    // Opened in steps, so that the intake rate and memory show how they change with the number of open cases.
    const step = num(ctx, 'step', Math.max(100, Math.ceil(n / 10)));
    const curve: { open: number; perSecond: number; p99: number; memoryMB: ReturnType<typeof memory> }[] = [];
    let openedMs = 0;
    for (let from = 0; from < n; from += step) {
      const part = [...Array(Math.min(step, n - from)).keys()].map((k) => from + k);
      const r = await drive(part, 8, `opening Pingan cases ${from + 1}–${from + part.length} of ${n}`, async (i) => ids.push(await pinganIntake(ctx.call, v.grid, v.village, 100 + i)));
      openedMs += r.seconds * 1000;
      curve.push({ open: from + part.length, perSecond: r.perSecond, p99: r.p99, memoryMB: memory(ctx, api) });
      log(`  ${from + part.length} open: ${r.perSecond}/s, p99 ${r.p99} ms`);
    }
    const opened = { perSecond: Math.round((n / (openedMs / 1000)) * 100) / 100 };
    const withPingan = { memoryMB: memory(ctx, api), reads: await readLatency(ctx, v, ids, reads, `${n} open`) };

    // Bare workflows waiting on a timer a year away: what the server holds per open workflow, Pingan's code aside.
    const t = tag();
    const dueAt = Date.now() + 365 * 86_400_000;
    const bareOpened = await drive([...Array(bareN).keys()], 8, 'opening bare workflows', (i) => bareIntake(ctx.b, `BARE-cap-${t}-${i}`, dueAt));
    const withBare = { memoryMB: memory(ctx, api) };

    log(`  restarting Pingan's worker with WORKER_MAX_CACHED_WORKFLOWS=${smallCache}`);
    await ctx.pinganWorker.stop();
    ctx.pinganWorker = await ctx.b.pinganWorker({ WORKER_MAX_CACHED_WORKFLOWS: String(smallCache) });
    await ctx.pinganWorker.ready;
    const smallCacheReads = await readLatency(ctx, v, ids, reads, `cache ${smallCache}`);
    const smallCacheMemory = memory(ctx, api);
    await ctx.pinganWorker.stop();
    await ctx.restartPinganWorker();

    const perCaseKB = (after: number, before: number, count = n) => Math.round(((after - before) * 1024) / count);
    const figures = {
      n,
      bareN,
      openingPerSecond: { pingan: opened.perSecond, bare: bareOpened.perSecond },
      idle,
      openingCurve: curve,
      withPingan,
      withBare,
      smallCache: { maxCachedWorkflows: smallCache, memoryMB: smallCacheMemory, reads: smallCacheReads },
      perOpenCaseKB: {
        temporalServerPingan: perCaseKB(withPingan.memoryMB.temporal, idle.memoryMB.temporal),
        temporalServerBare: perCaseKB(withBare.memoryMB.temporal, withPingan.memoryMB.temporal, bareN),
        pinganWorker: perCaseKB(withPingan.memoryMB.worker, idle.memoryMB.worker),
        postgres: perCaseKB(withPingan.memoryMB.postgres, idle.memoryMB.postgres),
      },
      ratios: {
        caseReadP99IdleOverOpen: ratio(idle.reads.case.p99, withPingan.reads.case.p99),
        listP99IdleOverOpen: ratio(idle.reads.list.p99, withPingan.reads.list.p99),
        caseReadP99DefaultOverSmallCache: ratio(withPingan.reads.case.p99, smallCacheReads.case.p99),
      },
      note: 'memory is resident set size (VmRSS) of each process tree, MB; ratios are faster ÷ slower latency (1 = no slower)',
    };
    return {
      figures,
      table: [
        ['state', 'worker MB', 'temporal MB', 'api MB', 'postgres MB', 'case read p50/p99 ms', 'list p50/p99 ms'],
        ['idle', idle.memoryMB.worker, idle.memoryMB.temporal, idle.memoryMB.api, idle.memoryMB.postgres, pp(idle.reads.case), pp(idle.reads.list)],
        [`${n} open`, withPingan.memoryMB.worker, withPingan.memoryMB.temporal, withPingan.memoryMB.api, withPingan.memoryMB.postgres, pp(withPingan.reads.case), pp(withPingan.reads.list)],
        [`+ ${bareN} bare`, withBare.memoryMB.worker, withBare.memoryMB.temporal, withBare.memoryMB.api, withBare.memoryMB.postgres, '', ''],
        [`cache ${smallCache}`, smallCacheMemory.worker, smallCacheMemory.temporal, smallCacheMemory.api, smallCacheMemory.postgres, pp(smallCacheReads.case), pp(smallCacheReads.list)],
      ],
    };
  },
};

const pp = (p: { p50: number; p99: number }) => `${p.p50} / ${p.p99}`;

function apiProc(ctx: Ctx): Proc | undefined {
  return ctx.b.procs.find((p) => p.name === 'pingan-api');
}

/** Reads of random open cases (live, through the workflow's query) and of the filtered register list. */
async function readLatency(ctx: Ctx, v: { mediator: string; village: string }, ids: string[], n: number, label: string) {
  const timed = async (fn: () => Promise<unknown>) => {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const caseMs: number[] = [];
  const listMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = ids[Math.floor(Math.random() * ids.length)];
    caseMs.push(await timed(() => ctx.call('GET', `/api/v1/mediations/${id}`, v.mediator)));
    if (i % 4 === 0) listMs.push(await timed(() => ctx.call('GET', `/api/v1/mediations?status=awaiting_acceptance&limit=20`, v.mediator)));
  }
  const r = { case: percentiles(caseMs), list: percentiles(listMs) };
  log(`  reads (${label}): case p50 ${r.case.p50} p99 ${r.case.p99} ms; list p50 ${r.list.p50} p99 ${r.list.p99} ms`);
  return r;
}

/** Resident memory (MB) of each process tree of the run. */
function memory(ctx: Ctx, api: Proc | undefined) {
  const m = {
    worker: treeRssMB(ctx.pinganWorker.child.pid),
    temporal: treeRssMB(ctx.b.temporal.child.pid),
    api: treeRssMB(api?.child.pid),
    postgres: treeRssMB(ctx.b.postgresPid()),
  };
  log(`  memory MB: ${JSON.stringify(m)}`);
  return m;
}
