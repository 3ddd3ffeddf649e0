/**
 * What every benchmark shares: the throw-away infrastructure (PostgreSQL cluster, Temporal dev server), Pingan's and
 * the bare baseline's processes started from their real entry points, CPU time per process, percentiles, results.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPool, migrate, type Db } from '../platform/db';
import { createLogger } from '../platform/logger';
import { freePort } from '../platform/net';
import { ensureTemporalCli } from '../platform/temporal-cli';
import { startDevServer, type DevServer } from '../platform/temporal';
import { postgresBinDir, startThrowawayPostgres, type ThrowawayPostgres } from '../platform/throwaway-postgres';
import { ensureAdmin, newToken } from '../platform/users';
import { BARE_SCHEMA } from './bare-worker';

export const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
export const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process of the benchmark (Pingan's worker or API, the bare worker), started from its entry point. */
export class Proc {
  child: ChildProcess;
  ready: Promise<number>;
  private exited = false;
  /** CPU seconds of the process tree just before it was stopped (a stopped process leaves /proc). */
  cpuAtStop?: number;
  constructor(readonly name: string, script: string, env: Record<string, string>, readyLine: RegExp, logFile: string) {
    const started = Date.now();
    this.child = spawn(TSX, [path.join(ROOT, script)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = fs.createWriteStream(logFile, { flags: 'a' });
    this.child.stdout!.pipe(out, { end: false });
    this.child.stderr!.pipe(out, { end: false });
    this.ready = new Promise((resolve, reject) => {
      let buf = '';
      this.child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (readyLine.test(buf)) {
          buf = '';
          resolve(Date.now() - started);
        } else buf = buf.slice(-2000);
      });
      this.child.once('exit', (code) => {
        this.exited = true;
        reject(new Error(`${name} exited with ${code} before it was ready (log ${logFile})`));
      });
    });
    this.ready.catch(() => undefined);
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exited || this.child.exitCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.cpuAtStop = treeCpuSeconds(this.child.pid);
    this.child.kill(signal);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(killer);
  }
}

/** The sum of a figure over a process and its descendants, read from /proc for every process by `sample`. */
export function treeSum(rootPid: number | undefined, sample: (pid: string) => { ppid: number; value: number }): number {
  if (!rootPid) return 0;
  const procs = new Map<number, { ppid: number; value: number }>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      procs.set(Number(d), sample(d));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const pending = [rootPid];
  while (pending.length) {
    const pid = pending.pop()!;
    total += procs.get(pid)?.value ?? 0;
    for (const [child, p] of procs) if (p.ppid === pid) pending.push(child);
  }
  return total;
}

/** VmRSS of a process and its descendants, MB. */
export function treeRssMB(rootPid: number | undefined): number {
  const kb = treeSum(rootPid, (pid) => {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0), value: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) };
  });
  return Math.round(kb / 1024);
}

/** CPU seconds (user + system) of a process and its descendants, including reaped children, from /proc. */
export function treeCpuSeconds(rootPid: number | undefined): number {
  const tick = 100; // USER_HZ on Linux
  return (
    treeSum(rootPid, (pid) => {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // after "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14
      return { ppid: Number(f[1]), value: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
    }) / tick
  );
}

export interface Percentiles { n: number; p50: number; p95: number; p99: number; max: number }
export function percentiles(ms: number[]): Percentiles {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10;
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
}

/** Runs `fn` over the items with `concurrency` clients; latencies in ms and throughput per second. */
export async function drive<T>(items: T[], concurrency: number, label: string, fn: (item: T) => Promise<unknown>) {
  const r = await driveRaw(items, concurrency, label, fn);
  return summarize(r.ms, r.seconds);
}

async function driveRaw<T>(items: T[], concurrency: number, label: string, fn: (item: T) => Promise<unknown>) {
  const ms: number[] = [];
  let next = 0;
  const started = Date.now();
  const every = Math.max(10, Math.ceil(items.length / 5));
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const t = process.hrtime.bigint();
        await fn(item);
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (ms.length % every === 0) log(`  ${label}: ${ms.length}/${items.length}`);
      }
    }),
  );
  return { ms, seconds: (Date.now() - started) / 1000 };
}

function summarize(ms: number[], seconds: number) {
  return { ...percentiles(ms), seconds: Math.round(seconds * 100) / 100, perSecond: Math.round((ms.length / seconds) * 100) / 100 };
}

/**
 * Pingan and bare over the same items, in the order bare, Pingan, Pingan, bare (each a half of the items), so that a
 * load that rises or falls during the run (the machine is shared) weighs on both alike. Given `cpu` (a Bench's
 * `cpu()`), the CPU each process spent during each side's phases is returned too, in ms per item: the phases run one
 * after the other, so each process's CPU in a phase belongs to that side's work (and to the machine's background).
 */
export async function sideBySide<T>(
  items: T[], concurrency: number, label: string, bare: (item: T) => Promise<unknown>, pingan: (item: T) => Promise<unknown>,
  cpu?: () => Record<string, number>,
) {
  const half = Math.ceil(items.length / 2);
  const [first, second] = [items.slice(0, half), items.slice(half)];
  const spent = { bare: {} as Record<string, number>, pingan: {} as Record<string, number> };
  const phase = async (side: 'bare' | 'pingan', part: T[]) => {
    const before = cpu?.();
    const r = await driveRaw(part, concurrency, `${side} ${label}`, side === 'bare' ? bare : pingan);
    if (before && cpu) for (const [k, v] of Object.entries(cpuDelta(before, cpu()))) spent[side][k] = (spent[side][k] ?? 0) + v;
    return r;
  };
  const b1 = await phase('bare', first);
  const p1 = await phase('pingan', first);
  const p2 = await phase('pingan', second);
  const b2 = await phase('bare', second);
  const perItem = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Math.round((v * 10_000) / items.length) / 10]));
  return {
    bare: summarize([...b1.ms, ...b2.ms], b1.seconds + b2.seconds),
    pingan: summarize([...p1.ms, ...p2.ms], p1.seconds + p2.seconds),
    ...(cpu ? { cpuMsPerItem: { pingan: perItem(spent.pingan), bare: perItem(spent.bare) } } : {}),
  };
}
export type Driven = Awaited<ReturnType<typeof drive>>;
/** "total 28.4: temporal 13.2, pingan-worker 8.2, …" (processes under 0.5 ms left out). */
export function cpuLine(c: Record<string, number> | undefined): string {
  if (!c) return '';
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  const parts = Object.entries(c).filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  return `total ${Math.round(total * 10) / 10}: ${parts.join(', ')}`;
}
/** CPU ms per item of each process, for each side. */
export type CpuPerItem = { pingan: Record<string, number>; bare: Record<string, number> };

/** One round of a side-by-side measurement with its ratios: throughput Pingan ÷ bare, latency bare ÷ Pingan. */
export interface Round {
  bare: Driven;
  pingan: Driven;
  cpuMsPerItem?: CpuPerItem;
  throughput: number;
  p50: number;
  p99: number;
}
export function roundOf(m: { bare: Driven; pingan: Driven; cpuMsPerItem?: CpuPerItem }): Round {
  return { ...m, throughput: ratio(m.pingan.perSecond, m.bare.perSecond), p50: ratio(m.bare.p50, m.pingan.p50), p99: ratio(m.bare.p99, m.pingan.p99) };
}

/** A figure over rounds: the median (of the two middle ones when K is even), lowest, highest, and every round's. */
export function spreadOf(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : Math.round(((s[s.length / 2 - 1] + s[s.length / 2]) / 2) * 100) / 100;
  return { median, min: Math.min(...xs), max: Math.max(...xs), each: xs };
}
export type Spread = ReturnType<typeof spreadOf>;
/** "0.78 (0.72–0.85)", or the one ratio of a single round. */
export const spreadText = (x: Spread) => (x.each.length > 1 ? `${x.median} (${x.min}–${x.max})` : x.median);

/** Rounds summed up: each ratio's spread, and the round whose throughput ratio is the median one (the lower middle one
 *  when K is even), which stands for the run. */
export function summariseRounds<R extends { throughput: number; p50: number; p99: number }>(each: R[]) {
  const of = (pick: (e: R) => number) => spreadOf(each.map(pick));
  return { throughput: of((e) => e.throughput), p50: of((e) => e.p50), p99: of((e) => e.p99), middle: middleRound(each, (e) => e.throughput) };
}

/** The round whose ratio is the median one (the lower middle one when K is even): it stands for the run. */
export function middleRound<R>(each: R[], ratioOf: (r: R) => number): R {
  return [...each].sort((a, b) => ratioOf(a) - ratioOf(b))[Math.floor((each.length - 1) / 2)];
}

/**
 * `--rounds=K`: the side-by-side measurement repeated K times (each round on fresh items), because one ratio here is
 * good to about ±0.15 (the server's own throughput moves between rounds a minute apart). Each round's ratio is kept; the
 * figure is their median, with the lowest and highest beside it.
 */
export async function inRounds(k: number, round: (r: number) => Promise<{ bare: Driven; pingan: Driven; cpuMsPerItem?: CpuPerItem }>) {
  const each: Round[] = [];
  for (let r = 0; r < k; r++) {
    if (k > 1) log(`  round ${r + 1} of ${k}`);
    each.push(roundOf(await round(r)));
    const { throughput, p50, pingan, bare } = each[r];
    if (k > 1) log(`  round ${r + 1}: throughput ratio ${throughput} (pingan ${pingan.perSecond}/s, bare ${bare.perSecond}/s), p50 ratio ${p50}`);
  }
  return summariseRounds(each);
}
/** Each ratio over the rounds: median, lowest, highest, and every round's (one round: its ratio, alone). */
export type Rounds = Pick<Awaited<ReturnType<typeof inRounds>>, 'throughput' | 'p50' | 'p99'>;

/** The infrastructure of one run: a throw-away PostgreSQL cluster and an in-memory Temporal dev server. */
export class Bench {
  private constructor(
    readonly dir: string,
    readonly pg: ThrowawayPostgres,
    readonly temporal: DevServer,
    readonly db: Db,
    readonly client: Client,
    readonly adminToken: string,
  ) {}
  readonly procs: Proc[] = [];

  static async start(): Promise<Bench> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-bench-'));
    const logger = createLogger('warn', 'bench');
    log(`infrastructure in ${dir}`);
    const pg = startThrowawayPostgres(await freePort());
    try {
      const cli = await ensureTemporalCli(logger);
      process.env.TEMPORAL_CLI_PATH = cli;
      const temporal = await startDevServer({ cli, port: await freePort(), namespace: 'default', logFile: path.join(dir, 'temporal.log'), logger });
      const db = createPool(pg.url, 20);
      await migrate(db, logger);
      await db.query(BARE_SCHEMA);
      const adminToken = newToken();
      await ensureAdmin(db, adminToken);
      const connection = await Connection.connect({ address: temporal.address });
      return new Bench(dir, pg, temporal, db, new Client({ connection }), adminToken);
    } catch (err) {
      pg.stop();
      throw err;
    }
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: this.temporal.address,
      DATABASE_URL: this.pg.url,
      PINGAN_ADMIN_TOKEN: this.adminToken,
      DATA_DIR: path.join(this.dir, 'data'),
      TEMPORAL_TASK_QUEUE: 'pingan',
      BARE_TASK_QUEUE: 'bench-bare',
      LOG_LEVEL: 'info',
      ...extra,
    };
  }

  /** Pingan's worker (`npm run worker`); ready when it logs "worker running". */
  async pinganWorker(extra: Record<string, string> = {}): Promise<Proc> {
    return this.spawn(new Proc('pingan-worker', 'worker/main.ts', this.env(extra), /worker running/, path.join(this.dir, 'pingan-worker.log')));
  }
  /** Pingan's API (`npm run api`) on a free port; ready when /healthz answers. */
  pinganApi(extra: Record<string, string> = {}): Promise<{ proc: Proc; url: string }> {
    return this.httpProc('pingan-api', 'api/main.ts', extra);
  }
  private front?: Promise<{ proc: Proc; url: string }>;
  /** The bare baseline behind a minimal HTTP front (bench/bare-http.ts) on a free port: one per run, started when first asked. */
  bareHttp(extra: Record<string, string> = {}): Promise<{ proc: Proc; url: string }> {
    this.front ??= this.httpProc('bare-http', 'bench/bare-http.ts', extra);
    return this.front;
  }
  /** An HTTP process on a free port; ready when it logs "API listening". */
  private httpProc(name: string, script: string, extra: Record<string, string> = {}): Promise<{ proc: Proc; url: string }> {
    return this.listening(name, script, this.env(extra), /API listening/, 'http');
  }
  /** A real SMTP server in a process of its own (bench/smtp-sink.ts) on a free port: it takes every message and keeps none. */
  smtpSink(): Promise<{ proc: Proc; url: string }> {
    return this.listening('smtp-sink', 'bench/smtp-sink.ts', {}, /SMTP listening/, 'smtp');
  }
  /** A process serving on a free port (PORT), ready when it logs `ready`; its URL with `scheme`. */
  private async listening(name: string, script: string, env: Record<string, string>, ready: RegExp, scheme: string): Promise<{ proc: Proc; url: string }> {
    const port = await freePort();
    const proc = this.spawn(new Proc(name, script, { ...env, PORT: String(port) }, ready, path.join(this.dir, `${name}.log`)));
    await proc.ready;
    return { proc, url: `${scheme}://127.0.0.1:${port}` };
  }
  async bareWorker(extra: Record<string, string> = {}): Promise<Proc> {
    return this.spawn(new Proc('bare-worker', 'bench/bare-worker.ts', this.env(extra), /worker running/, path.join(this.dir, 'bare-worker.log')));
  }
  private spawn(p: Proc): Proc {
    this.procs.push(p);
    return p;
  }

  /** The PostgreSQL cluster's postmaster (its backends are its children). */
  postgresPid(): number {
    return Number(fs.readFileSync(path.join(this.pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** CPU seconds so far of each process of the run, by name (processes of the same name summed). */
  cpu(): Record<string, number> {
    const pgPid = this.postgresPid();
    const usage = process.cpuUsage();
    const out: Record<string, number> = {
      driver: (usage.user + usage.system) / 1e6,
      temporal: treeCpuSeconds(this.temporal.child.pid),
      postgres: treeCpuSeconds(pgPid),
    };
    for (const p of this.procs) out[p.name] = (out[p.name] ?? 0) + (p.cpuAtStop ?? treeCpuSeconds(p.child.pid));
    return out;
  }

  private stopping?: Promise<void>;
  /** Stops everything once; a second call (Ctrl-C during the stop after an error) waits for the first. */
  stop(keep = false): Promise<void> {
    this.stopping ??= this.stopNow(keep);
    return this.stopping;
  }
  private async stopNow(keep: boolean): Promise<void> {
    for (const p of this.procs) await p.stop().catch(() => undefined);
    await this.client.connection.close().catch(() => undefined);
    await this.db.end().catch(() => undefined);
    await this.temporal.stop().catch(() => undefined);
    this.pg.stop();
    if (!keep && !process.env.BENCH_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `--monitor=S`: every S seconds one line with each process's resident memory (MB) and CPU use since the last line
 * (percent of one core), so that a run that slows down shows which process was busy or growing when it did.
 */
export function monitor(b: Bench, seconds: number): () => void {
  let last = b.cpu();
  let at = Date.now();
  const timer = setInterval(() => {
    try {
      const now = b.cpu();
      const dt = (Date.now() - at) / 1000;
      const rss: Record<string, number> = { temporal: treeRssMB(b.temporal.child.pid), postgres: treeRssMB(b.postgresPid()) };
      for (const p of b.procs) if (p.child.exitCode === null && !p.cpuAtStop) rss[p.name] = (rss[p.name] ?? 0) + treeRssMB(p.child.pid);
      const cpu = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, Math.round(((v - (last[k] ?? 0)) / dt) * 100)]));
      log(`  monitor: cpu% ${JSON.stringify(cpu)} rss MB ${JSON.stringify(rss)}`);
      last = now;
      at = Date.now();
    } catch {
      // a process stopped between the readings
    }
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** CPU seconds spent by each process between two `Bench.cpu()` readings. */
export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, Math.round((v - (before[k] ?? 0)) * 100) / 100]));
}

/** An HTTP client for the API: JSON in, JSON out, throws on an unexpected status. */
export function api(url: string) {
  return async function call(method: string, route: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
}
export type Api = ReturnType<typeof api>;

export const tag = () => randomBytes(3).toString('hex');

export function versions(): Record<string, string> {
  const pkg = (name: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  let temporalCli = 'unknown';
  try {
    temporalCli = execFileSync(process.env.TEMPORAL_CLI_PATH ?? path.join(ROOT, '.tools', 'bin', 'temporal'), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown
  }
  return {
    pingan: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    commit,
    node: process.version,
    temporalSdk: pkg('@temporalio/client'),
    temporalCli,
    postgres: execFileSync(path.join(postgresBinDir(), 'postgres'), ['--version'], { encoding: 'utf8' }).trim(),
  };
}

export function machine() {
  return { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGB: Math.round(os.totalmem() / 2 ** 30), loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) };
}

/** Writes bench/results/<date>-<name>.json and returns its path. */
export function writeResult(name: string, result: object): string {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
  const file = path.join(dir, `${stamp}-${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Prints rows as an aligned table. */
export function table(rows: (string | number)[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  '));
}
export const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 100) / 100 : NaN);

/** `--key=value` arguments of a bench script. */
export function scriptArgs(argv = process.argv.slice(2)): Record<string, string> {
  return Object.fromEntries(argv.map((a) => /^--([\w-]+)=(.*)$/.exec(a)).filter((m) => m !== null).map((m) => [m[1], m[2]]));
}

/** Runs a bench script's main: exit 0 when it resolves, 1 with the stack when it fails. */
export function runScript(main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exit(1);
    },
  );
}
