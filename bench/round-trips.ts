/**
 * `npx tsx bench/round-trips.ts [--n=40] [--clients=4]`: where the SQL of an intake and of a staff action goes. It
 * starts the benchmark's infrastructure (throw-away PostgreSQL, Temporal dev server, Pingan's worker and API as their
 * production processes, each naming itself with PGAPPNAME), has PostgreSQL log every statement with its duration,
 * runs N intakes, waits until their mail has gone out, then N accepts, and prints per request and per process: SQL
 * statements (round trips), transactions (BEGIN), database time, CPU milliseconds per process, and the statements by
 * kind. Nothing is compared with bare Temporal here; `npm run bench -- intake staff-action` does that.
 * `--cpu-prof=DIR`: the worker and the API also write V8 CPU profiles (.cpuprofile, one per thread) into DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Bench, cpuDelta, drive, log, runScript, scriptArgs, sleep, table } from './lib';
import { api, benchVillage, pinganIntake, type Ctx } from './context';

/** One logged step: `execute` or a simple `statement` is one round trip; `parse` and `bind` only add their time. */
interface Statement { at: number; app: string; ms: number; step: string; sql: string }

/** Reads the statements PostgreSQL logged (log_min_duration_statement = 0, prefix `%m|%a|`). */
function statements(file: string): Statement[] {
  const out: Statement[] = [];
  const re = /^(\d{10}\.\d+)\|([^|]*)\|LOG:\s+duration: ([\d.]+) ms\s+(statement|execute|parse|bind)[^:]*: ([\s\S]*)$/;
  let current: string[] = [];
  const flush = () => {
    if (!current.length) return;
    const m = re.exec(current.join('\n'));
    if (m) out.push({ at: Number(m[1]) * 1000, app: m[2], ms: Number(m[3]), step: m[4], sql: m[5].replace(/\s+/g, ' ').trim() });
    current = [];
  };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (/^\d{10}\.\d+\|/.test(line)) flush();
    current.push(line);
  }
  flush();
  return out;
}

/** A statement's kind: its verb and first table, enough to tell the register write from the token look-up. */
function kind(sql: string): string {
  const s = sql.replace(/^WITH\s+\w+\s+AS\s+\(/i, 'WITH … (');
  const verb = /^\s*(\w+)/.exec(s)?.[1]?.toUpperCase() ?? '?';
  const table = /\b(?:FROM|INTO|UPDATE)\s+(\w+)/i.exec(s)?.[1] ?? /\b(\w+)\s*\(/.exec(s)?.[1] ?? '';
  return `${verb} ${table}`.trim();
}

async function main() {
  const args = scriptArgs();
  const n = Number(args.n ?? 40);
  const clients = Number(args.clients ?? 4);
  const b = await Bench.start();
  try {
    await b.db.query(`ALTER SYSTEM SET log_min_duration_statement = 0`);
    await b.db.query(`ALTER SYSTEM SET log_line_prefix = '%n|%a|'`);
    await b.db.query('SELECT pg_reload_conf()');
    const prof = (name: string): Record<string, string> =>
      args['cpu-prof'] ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile.cjs')}`, PROF_DIR: path.resolve(args['cpu-prof'], name) } : {};
    const worker = await b.pinganWorker({ PGAPPNAME: 'worker', ...prof('worker') });
    const { url } = await b.pinganApi({ PGAPPNAME: 'api', ...prof('api') });
    await worker.ready;
    const call = api(url);
    const ctx = { b, url, call, args } as unknown as Ctx;
    const v = await benchVillage(ctx);
    for (let i = 0; i < 3; i++) await pinganIntake(call, v.grid, v.village, -1 - i); // warm-up
    const pendingMail = async () => Number((await b.db.query(`SELECT count(*) AS n FROM mail_outbox WHERE status = 'pending'`)).rows[0].n);
    const settle = async () => {
      for (let i = 0; i < 120 && (await pendingMail()) > 0; i++) await sleep(250);
      await sleep(1500);
    };
    await settle();

    // Monotonic microseconds too: the clock of V8's CPU profiles, so that a profile can be cut to a phase.
    const mono = () => Number(process.hrtime.bigint() / 1000n);
    const phases: { name: string; from: number; to: number; monoFrom: number; monoTo: number; cpu: Record<string, number> }[] = [];
    let m0 = mono();
    const ids: string[] = [];
    let c0 = b.cpu();
    let from = Date.now();
    m0 = mono();
    await drive([...Array(n).keys()], clients, 'intake', async (i) => ids.push(await pinganIntake(call, v.grid, v.village, i)));
    await settle();
    phases.push({ name: 'intake', from, to: Date.now(), monoFrom: m0, monoTo: mono(), cpu: cpuDelta(c0, b.cpu()) });
    c0 = b.cpu();
    from = Date.now();
    m0 = mono();
    await drive(ids, clients, 'accept', (id) => call('POST', `/api/v1/mediations/${id}/accept`, v.mediator, {}));
    await settle();
    phases.push({ name: 'accept', from, to: Date.now(), monoFrom: m0, monoTo: mono(), cpu: cpuDelta(c0, b.cpu()) });

    await sleep(500);
    const all = statements(path.join(b.pg.dir, 'postgres.log'));
    const result: Record<string, unknown> = { n, clients, phases: {} };
    for (const p of phases) {
      const inPhase = all.filter((s) => s.at >= p.from - 50 && s.at <= p.to && (s.app === 'api' || s.app === 'worker'));
      // The settle loop's own polling (application name empty) is not counted.
      const rows: (string | number)[][] = [['process', 'statements / req', 'transactions / req', 'db ms / req', 'cpu ms / req']];
      for (const app of ['api', 'worker']) {
        const mine = inPhase.filter((s) => s.app === app);
        const trips = mine.filter((s) => s.step === 'execute' || s.step === 'statement');
        const cpuName = app === 'api' ? 'pingan-api' : 'pingan-worker';
        rows.push([
          app,
          Math.round((trips.length / n) * 100) / 100,
          Math.round((trips.filter((s) => /^BEGIN/i.test(s.sql)).length / n) * 100) / 100,
          Math.round((mine.reduce((t, s) => t + s.ms, 0) / n) * 100) / 100,
          Math.round(((p.cpu[cpuName] ?? 0) * 1000) / n),
        ]);
      }
      rows.push(['postgres (all)', '', '', '', Math.round(((p.cpu.postgres ?? 0) * 1000) / n)]);
      rows.push(['temporal', '', '', '', Math.round(((p.cpu.temporal ?? 0) * 1000) / n)]);
      const byKind = new Map<string, { count: number; ms: number }>();
      for (const s of inPhase) {
        const k = `${s.app}: ${kind(s.sql)}`;
        const e = byKind.get(k) ?? { count: 0, ms: 0 };
        if (s.step === 'execute' || s.step === 'statement') e.count += 1;
        e.ms += s.ms;
        byKind.set(k, e);
      }
      const kinds = [...byKind.entries()].sort((a, z) => a[0].localeCompare(z[0])).map(([k, e]) => [k, Math.round((e.count / n) * 100) / 100, Math.round((e.ms / Math.max(1, e.count)) * 1000) / 1000]);
      console.log(`\n${p.name} (n=${n}, ${clients} clients)`);
      table(rows);
      console.log('');
      table([['statement', 'per request', 'avg ms (parse + bind + execute)'], ...kinds]);
      (result.phases as Record<string, unknown>)[p.name] = { perRequest: rows, statements: kinds, cpuSeconds: p.cpu, monoMicros: [p.monoFrom, p.monoTo] };
    }
    if (args.out) fs.writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
    log('done');
  } finally {
    await b.stop();
  }
}

runScript(main);
