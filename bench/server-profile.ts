/**
 * `npx tsx bench/server-profile.ts [--action=accept|intake] [--n=300] [--clients=8] [--process=temporal|worker|api|postgres] [--top=40]
 * [--match=REGEX]`: where the CPU of one process goes per staff action (accept) or per intake, Pingan against bare,
 * sampled by Linux `perf` (999 Hz, call graphs) while N of each side run at 8 clients, in the order Pingan, bare,
 * Pingan, bare (half of them each time). `temporal`: the dev server (Go; every frame named); `worker`: Pingan's worker against the bare
 * worker, both started with `--perf-basic-prof` so that JavaScript frames are named. Prints, for the frames whose
 * inclusive time differs most, milliseconds per request on each side and the difference, and writes
 * bench/results/<date>-server-profile-<action>-<process>.json. With `--process=worker` each side runs its own
 * workflow bundle, so a JavaScript frame of one side's code has no counterpart on the other: compare the totals, and
 * read the frames of Pingan's side. Needs `perf` and the right to use it (root, or
 * kernel.perf_event_paranoid ≤ 1). A diagnosis, not a benchmark: sampling costs the profiled process a few percent.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bareAccept } from './bare';
import { benchVillage, bareIntake, pinganIntake, type Ctx } from './context';
import { api, Bench, drive, log, runScript, scriptArgs, sleep, table, tag, writeResult } from './lib';

/** The inclusive samples of each frame (a frame counted once per sample however deep it recurses), and the samples. */
function fold(script: string): { frames: Map<string, number>; samples: number } {
  const frames = new Map<string, number>();
  let samples = 0;
  let stack = new Set<string>();
  const flush = () => {
    if (!stack.size) return;
    samples += 1;
    for (const f of stack) frames.set(f, (frames.get(f) ?? 0) + 1);
    stack = new Set();
  };
  for (const line of script.split('\n')) {
    if (!line.trim()) flush();
    else if (/^\s/.test(line)) stack.add(line.trim().replace(/^[0-9a-f]+\s+/, '').replace(/\+0x[0-9a-f]+$/, ''));
  }
  flush();
  return { frames, samples };
}

const children = (pid: number) => execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);

async function recorded(pids: string[], out: string, work: () => Promise<unknown>): Promise<string> {
  const perf = spawn('perf', ['record', '-F', '999', '-g', '-p', pids.join(','), '-o', out], { stdio: 'ignore' });
  const exited = new Promise((r) => perf.once('exit', r));
  await sleep(1000);
  await work();
  perf.kill('SIGINT');
  await exited;
  return execFileSync('perf', ['script', '-i', out, '-F', 'ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
}

async function main() {
  const args = scriptArgs();
  const n = Number(args.n ?? 300);
  const clients = Number(args.clients ?? 8);
  const which = args.process ?? 'temporal';
  const action = args.action ?? 'accept';
  if (!['accept', 'intake'].includes(action)) throw new Error('--action: accept or intake');
  if (!['temporal', 'worker', 'api', 'postgres'].includes(which)) throw new Error('--process: temporal, worker, api or postgres');
  const match = new RegExp(args.match ?? (which === 'temporal' ? 'go\\.temporal\\.io|grpc|sqlite|flate' : which === 'postgres' ? '.' : '^JS:|Builtins_Json|Scavenge|MarkCompact'));
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('`perf` is not installed (Debian: linux-perf)');
  }
  const b = await Bench.start();
  const dir = fs.mkdtempSync(path.join(b.dir, 'perf-'));
  try {
    const named: Record<string, string> = which === 'temporal' || which === 'postgres' ? {} : { NODE_OPTIONS: '--perf-basic-prof --interpreted-frames-native-stack' };
    const worker = await b.pinganWorker(which === 'worker' ? named : {});
    const bare = await b.bareWorker(which === 'worker' ? named : {});
    const { url, proc: apiProc } = await b.pinganApi(which === 'api' ? named : {});
    const front = await b.bareHttp(which === 'api' ? named : {});
    const frontCall = api(front.url);
    await Promise.all([worker.ready, bare.ready]);
    const call = api(url);
    const v = await benchVillage({ b, url, call, args } as unknown as Ctx);
    const t = tag();
    const bareIds = [...Array(n).keys()].map((i) => `BARE-prof-${t}-${i}`);
    const cases: string[] = [];
    if (action === 'accept') {
      await drive(bareIds, 8, 'bare cases', (id) => bareIntake(b, id));
      await drive([...Array(n).keys()], 8, 'pingan cases', async (i) => cases.push(await pinganIntake(call, v.grid, v.village, i)));
    } else {
      for (let i = 0; i < 20; i++) await pinganIntake(call, v.grid, v.village, -1 - i); // warm-up
      cases.push(...[...Array(n).keys()].map(String));
    }
    await sleep(3000);
    const one = (side: 'pingan' | 'bare', id: string) => {
      if (side === 'pingan') {
        return action === 'intake' ? pinganIntake(call, v.grid, v.village, Number(id)) : call('POST', `/api/v1/mediations/${id}/accept`, v.mediator, {});
      }
      if (which === 'api') return action === 'intake' ? frontCall('POST', '/bare', '', { id }) : frontCall('POST', `/bare/${id}/accept`, '', {});
      return action === 'intake' ? bareIntake(b, id) : b.client.workflow.getHandle(id).executeUpdate(bareAccept);
    };
    // The node process under each worker's tsx (the worker itself), or the dev server.
    const target = (side: 'pingan' | 'bare') => {
      if (which === 'temporal') return [String(b.temporal.child.pid)];
      if (which === 'postgres') return children(b.postgresPid());
      if (which === 'api') return children((side === 'pingan' ? apiProc : front.proc).child.pid!);
      return children((side === 'pingan' ? worker : bare).child.pid!);
    };
    const totals = { pingan: new Map<string, number>(), bare: new Map<string, number>() };
    const samples = { pingan: 0, bare: 0 };
    const cpuMs = { pingan: 0, bare: 0 };
    const half = n / 2;
    for (const [k, side] of (['pingan', 'bare', 'pingan', 'bare'] as const).entries()) {
      const ids = (side === 'pingan' ? cases : bareIds).slice(k < 2 ? 0 : half, k < 2 ? half : n);
      const before = b.cpu();
      const script = await recorded(target(side), path.join(dir, `${k}-${side}.data`), () =>
        drive(ids, clients, `${side} ${action}s`, (id) => one(side, id)));
      const after = b.cpu();
      const proc = which === 'temporal' || which === 'postgres' ? which : which === 'api' ? (side === 'pingan' ? 'pingan-api' : 'bare-http') : side === 'pingan' ? 'pingan-worker' : 'bare-worker';
      cpuMs[side] += ((after[proc] ?? 0) - (before[proc] ?? 0)) * 1000;
      const f = fold(script);
      samples[side] += f.samples;
      for (const [frame, c] of f.frames) totals[side].set(frame, (totals[side].get(frame) ?? 0) + c);
    }
    const perRequest = (count: number) => Math.round(((count / 999) * 1000 * 100) / n) / 100;
    const frames = [...new Set([...totals.pingan.keys(), ...totals.bare.keys()])]
      .filter((f) => match.test(f))
      .map((frame) => ({ frame, pingan: perRequest(totals.pingan.get(frame) ?? 0), bare: perRequest(totals.bare.get(frame) ?? 0) }))
      .map((r) => ({ ...r, difference: Math.round((r.pingan - r.bare) * 100) / 100 }))
      .sort((a, z) => z.difference - a.difference)
      .slice(0, Number(args.top ?? 40));
    const sampled = { pingan: perRequest(samples.pingan), bare: perRequest(samples.bare) };
    const cpu = { pingan: Math.round((cpuMs.pingan / n) * 100) / 100, bare: Math.round((cpuMs.bare / n) * 100) / 100 };
    console.log(`\n${which}: CPU ms per ${action} (from /proc) Pingan ${cpu.pingan}, bare ${cpu.bare}; sampled ${sampled.pingan} and ${sampled.bare}`);
    table([['frame (inclusive)', 'pingan ms', 'bare ms', 'difference'], ...frames.map((r) => [r.frame.slice(0, 110), r.pingan, r.bare, r.difference])]);
    const file = writeResult(`server-profile-${action}-${which}`, { process: which, action, n, clients, cpuMsPerRequest: cpu, sampledMsPerRequest: sampled, frames });
    log(`→ ${file}`);
  } finally {
    await b.stop();
  }
}

runScript(main);
