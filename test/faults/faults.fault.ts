import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { Pool } from 'pg';
import { SMTPServer } from 'smtp-server';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
import { createLogger } from '../../platform/logger';
import { freePort } from '../../platform/net';
import { ensureTemporalCli } from '../../platform/temporal-cli';
import { startDevServer, type DevServer } from '../../platform/temporal';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../platform/throwaway-postgres';
import { newToken } from '../../platform/users';
import { alive, startPingan, type PinganProcess } from './processes';

/**
 * `npm run test:faults`: separate worker and API processes on a real PostgreSQL cluster and a Temporal dev server
 * persisted to a file, with cases of all three kinds in flight and short (POLICY_FILE) timers pending, survive:
 * the worker killed with SIGKILL and started again; the dev server stopped while timers come due and started again on
 * the same file; PostgreSQL stopped for ~20 s (the API answers 503 meanwhile; the worker recovers by itself); SMTP
 * refusing for a while. Then every case is in its state, every due timer fired once (audit events counted per case),
 * and every mail of the outbox was delivered exactly once. It prints what it counted.
 */
const CASES = { mediation: 3, petition: 2, village: 2 };
const logger = createLogger('silent');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-faults-'));

const short: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY));
short.version = 'faults-seconds';
const s = (value: number) => ({ value: { value, unit: 'seconds' as const }, source: 'fault suite' });
short.mediation.acceptanceLimit = s(20);
short.mediation.levelLimits.village = s(20);
short.mediation.levelLimits.township = s(20);
short.mediation.levelLimits.county = s(20);
short.mediation.reminderShare = { value: 0.5, source: 'fault suite' };
short.petition!.assignLimit = s(30);
short.petition!.acceptanceNoticeLimit = s(30);
short.village!.stepLimit = s(25);
short.village!.procedureLimit = s(50);

let pg: ThrowawayPostgres;
let temporal: DevServer;
let worker: PinganProcess;
let api: PinganProcess;
let smtp: SMTPServer;
let db: Pool;
const received: Array<{ messageId: string; to: string; subject: string; at: number }> = [];
let smtpRefusing = false;
/** When the killed worker was gone: a mail it had handed to the server but not yet marked sent goes out again. */
let killedAt = 0;
let refusedDeliveries = 0;

async function startSmtp(): Promise<number> {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_addr, _session, cb) {
      if (!smtpRefusing) return cb();
      refusedDeliveries += 1;
      cb(Object.assign(new Error('mail system busy, try again later'), { responseCode: 451 }));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((m) => {
          for (const r of session.envelope.rcptTo) received.push({ messageId: m.messageId ?? '', to: r.address, subject: m.subject ?? '', at: Date.now() });
          cb();
        })
        .catch(cb);
    },
  });
  // A worker killed with SIGKILL mid-conversation resets its connection; that is the fault under test, not a failure.
  smtp.on('error', (err) => step(`smtp: ${err.message}`));
  const port = await freePort();
  await new Promise<void>((r) => smtp.listen(port, '127.0.0.1', r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const step = (what: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${what}`);

afterAll(async () => {
  await api?.stop('SIGKILL');
  await worker?.stop('SIGKILL');
  await temporal?.stop();
  await db?.end().catch(() => undefined);
  pg?.stop();
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('cases of every kind survive worker kills, a Temporal restart, a PostgreSQL outage and SMTP refusals', async () => {
  const cli = await ensureTemporalCli(logger);
  const [pgPort, temporalPort, apiPort, smtpPort] = [await freePort(), await freePort(), await freePort(), await startSmtp()];
  pg = startThrowawayPostgres(pgPort);
  db = new Pool({ connectionString: pg.url, max: 2 });
  db.on('error', (err) => step(`idle database connection: ${err.message}`)); // PostgreSQL is stopped on purpose
  db.on('error', () => undefined);
  const dbFile = path.join(tmp, 'temporal.db');
  const startTemporal = () => startDevServer({ cli, port: temporalPort, namespace: 'default', dbFile, logFile: path.join(tmp, 'temporal.log'), logger });
  temporal = await startTemporal();
  const policyFile = path.join(tmp, 'policy.json');
  fs.writeFileSync(policyFile, JSON.stringify(short));
  const adminToken = newToken();
  const env = {
    TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: pg.url, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, POLICY_FILE: policyFile,
    PINGAN_ADMIN_TOKEN: adminToken, DATA_DIR: tmp, PORT: String(apiPort), TEMPORAL_TASK_QUEUE: 'pingan-faults',
  };
  const startWorker = async (n: number) => {
    const w = startPingan(`worker#${n}`, 'worker/main.ts', env, path.join(tmp, `worker-${n}.log`));
    await w.waitFor('worker running', (l) => l.msg === 'worker running', 120_000);
    return w;
  };
  worker = await startWorker(1);
  api = startPingan('api', 'api/main.ts', env, path.join(tmp, 'api.log'));
  await api.waitFor('API listening', (l) => l.msg === 'API listening', 120_000);
  const base = `http://127.0.0.1:${apiPort}`;
  const call = async (method: string, route: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any, retryAfter: res.headers.get('retry-after') };
  };
  const tag = randomBytes(2).toString('hex');
  const county = `故障县${tag}`;
  const township = `${county}/梁家村镇`;
  const village = `${township}/东村`;
  const user = async (role: string, area: string, extra: object = {}) => {
    const email = `${role.replace(/_/g, '-')}-${randomBytes(3).toString('hex')}@faults.cn`;
    const r = await call('POST', '/api/v1/users', adminToken, { name: `${role}-${randomBytes(2).toString('hex')}`, email, role, area, ...extra });
    expect(r.status).toBe(201);
    return r.body.token as string;
  };
  const grid = await user('grid_worker', village);
  await user('mediator', village, { level: 'village' });
  await user('mediator', township, { level: 'township' });
  await user('mediator', county, { level: 'county', committee: 'family' });
  const supervisor = await user('supervisor', county);
  const officer = await user('petition_officer', county);
  const clerk = await user('village_clerk', village);

  step(`opening ${CASES.mediation} mediations, ${CASES.petition} petitions, ${CASES.village} village matters`);
  const cases: Array<{ kind: 'mediation' | 'petition' | 'village'; id: string; deadlines: Record<string, string> }> = [];
  for (let i = 0; i < CASES.mediation; i++) {
    const r = await call('POST', '/api/v1/mediations', grid, {
      category: 'family', summary: `赡养费用分担争议 ${i}`, area: village, channel: 'hotline',
      parties: [{ name: '王大', role: 'applicant', email: `wangda${i}@faults.cn` }, { name: '王二', role: 'respondent' }],
    });
    expect(r.status).toBe(201);
    cases.push({ kind: 'mediation', id: r.body.id, deadlines: r.body.deadlines });
  }
  for (let i = 0; i < CASES.petition; i++) {
    const r = await call('POST', '/api/v1/petitions', officer, {
      petitioner: { name: '周某', phone: '13800000000', email: `zhou${i}@faults.cn` },
      subject: `征地补偿款未足额发放 ${tag}-${i}`, content: '补偿款至今只发放一半。', channel: 'visit', area: township,
    });
    expect(r.status).toBe(201);
    cases.push({ kind: 'petition', id: r.body.id, deadlines: r.body.deadlines });
  }
  for (let i = 0; i < CASES.village; i++) {
    const r = await call('POST', '/api/v1/village-decisions', clerk, { type: 'village_rules', title: `修订村规民约 ${i}`, description: '增加禁止占道堆放条款' });
    expect(r.status).toBe(201);
    cases.push({ kind: 'village', id: r.body.id, deadlines: r.body.deadlines });
  }

  step('kill -9 the worker; start another');
  const killedPid = worker.loggedPid();
  expect(killedPid).toBe(worker.child.pid); // the signal reaches the worker itself, not a wrapper around it
  await worker.stop('SIGKILL');
  killedAt = Date.now();
  expect(alive(killedPid!)).toBe(false);
  await sleep(3_000);
  worker = await startWorker(2);

  step('stop the Temporal dev server while the first timers come due');
  await temporal.stop();
  await sleep(2_000);
  const whileTemporalDown = await call('POST', `/api/v1/mediations/${cases[0].id}/urge`, supervisor, { message: '请尽快受理' });
  await sleep(6_000);
  temporal = await startTemporal();
  step(`Temporal back on the same file; an action while it was down answered ${whileTemporalDown.status} ${whileTemporalDown.body.error?.code}`);
  expect([whileTemporalDown.status, whileTemporalDown.body.error?.code]).toEqual([503, 'temporal_unavailable']);
  expect(Number(whileTemporalDown.retryAfter)).toBeGreaterThan(0);

  step('stop PostgreSQL for 20 s');
  pg.halt();
  const t0 = Date.now();
  const duringOutage = await call('GET', `/api/v1/mediations/${cases[0].id}`, grid);
  const outageMs = Date.now() - t0;
  await sleep(20_000 - (Date.now() - t0));
  pg.resume();
  step(`PostgreSQL back; a read while it was down answered ${duringOutage.status} ${duringOutage.body.error?.code} in ${outageMs} ms`);
  expect([duringOutage.status, duringOutage.body.error?.code]).toEqual([503, 'database_unavailable']);
  expect(Number(duringOutage.retryAfter)).toBeGreaterThan(0);
  expect(outageMs).toBeLessThan(6_000);

  step('SMTP refuses every delivery (451) for 15 s');
  smtpRefusing = true;
  const refusalStarted = Date.now();
  // A notice is due while SMTP refuses, however fast the timers' mail went out before: a supervisor urges a case.
  // (Just after the PostgreSQL outage the worker may still be backing off: 503 with Retry-After, so retry as a client would.)
  let urged = await call('POST', `/api/v1/mediations/${cases[0].id}/urge`, supervisor, { message: '请尽快办理' });
  for (let i = 0; i < 3 && urged.status === 503; i++) {
    await sleep(2_000);
    urged = await call('POST', `/api/v1/mediations/${cases[0].id}/urge`, supervisor, { message: '请尽快办理' });
  }
  expect(urged.status).toBe(200);
  await sleep(15_000 - (Date.now() - refusalStarted));
  smtpRefusing = false;
  step(`SMTP accepts again (refused ${refusedDeliveries} deliveries meanwhile)`);

  // Every case reaches the end of its timers: mediations overdue at county (escalated twice, then both county limits
  // passed), petitions past their deadlines, village matters reported to the township. A reminder whose deadline had
  // already passed when its timer could fire (the outages delay them) is skipped by design: a mediation's reminder
  // (isStaleReminder), a petition's deadline warning (patch petition-no-stale-warnings: a warning timer that fires
  // after its deadline moves on to the deadline). So a petition counts at least its registration and one deadline_passed
  // per deadline.
  const expectedCount = (c: (typeof cases)[number]) => (c.kind === 'mediation' ? 5 : c.kind === 'village' ? 3 : 1 + Object.keys(c.deadlines).length);
  const settled = async () => {
    const r = await db.query<{ id: string; n: number; overdue: number }>(
      `SELECT case_id AS id, count(*)::int AS n, count(*) FILTER (WHERE action = 'overdue')::int AS overdue
         FROM audit_events WHERE case_id = ANY($1) GROUP BY case_id`,
      [cases.map((c) => c.id)],
    );
    const pending = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE status <> 'sent'`)).rows[0].n;
    return (
      pending === 0 &&
      cases.every((c) => {
        const row = r.rows.find((x) => x.id === c.id);
        return row !== undefined && row.n >= expectedCount(c) && (c.kind !== 'mediation' || row.overdue >= 2);
      })
    );
  };
  const end = Date.now() + 150_000;
  while (!(await settled().catch(() => false)) && Date.now() < end) await sleep(1_000);
  await sleep(2_000); // anything doubled would show now

  const audit = await db.query<{ case_id: string; seq: number; action: string; deadline: string | null; reason: string | null; level: string | null }>(
    `SELECT case_id, seq, action, details->>'deadline' AS deadline, details->>'reason' AS reason, after->>'level' AS level FROM audit_events WHERE case_id = ANY($1) ORDER BY case_id, seq`,
    [cases.map((c) => c.id)],
  );
  const byCase = (id: string) => audit.rows.filter((a) => a.case_id === id);
  const problems: string[] = [];
  const skippedWarnings: string[] = [];
  for (const c of cases) {
    const events = byCase(c.id);
    const seqs = events.map((e) => e.seq);
    if (seqs.join() !== seqs.map((_, i) => i + 1).join()) problems.push(`${c.id}: audit seq ${seqs.join()}`);
    const actions = events.map((e) => e.action);
    if (c.kind === 'mediation') {
      // what the timers did: every event but the opening and the supervisors' urges (one is sent while SMTP refuses)
      const timers = events.filter((e) => e.action !== 'opened' && e.action !== 'urged').map((e) => `${e.action}:${e.action === 'overdue' ? e.reason : e.level}`);
      const once = ['escalated:township', 'escalated:county', 'overdue:acceptance_limit', 'overdue:level_limit'];
      const allowed = ['acceptance_reminder:village', 'acceptance_reminder:township', 'acceptance_reminder:county'];
      for (const t of once) if (timers.filter((x) => x === t).length !== 1) problems.push(`${c.id}: ${t} ×${timers.filter((x) => x === t).length}`);
      for (const t of timers) if (!once.includes(t) && (!allowed.includes(t) || timers.filter((x) => x === t).length > 1)) problems.push(`${c.id}: ${t}`);
      if (actions[0] !== 'opened') problems.push(`${c.id}: starts with ${actions[0]}`);
    }
    if (c.kind === 'village' && actions.join() !== 'opened,step_reminder,township_alerted') problems.push(`${c.id}: ${actions.join()}`);
    if (c.kind === 'petition') {
      const known = ['registered', 'deadline_warning', 'deadline_passed'];
      if (actions[0] !== 'registered' || actions.some((a) => !known.includes(a))) problems.push(`${c.id}: ${actions.join()}`);
      for (const key of Object.keys(c.deadlines)) {
        const warnings = events.filter((e) => e.action === 'deadline_warning' && e.deadline === key);
        const passed = events.filter((e) => e.action === 'deadline_passed' && e.deadline === key);
        // the deadline passes exactly once; its warning at most once, and never after it
        if (passed.length !== 1) problems.push(`${c.id}: deadline_passed ${key} ×${passed.length}`);
        if (warnings.length > 1) problems.push(`${c.id}: deadline_warning ${key} ×${warnings.length}`);
        if (warnings.length === 1 && passed.length === 1 && warnings[0].seq > passed[0].seq) problems.push(`${c.id}: deadline_warning ${key} after it passed`);
        if (warnings.length === 0) skippedWarnings.push(`${c.id}:${key}`);
      }
    }
  }
  const register = await db.query<{ id: string; overdue: boolean; level: string | null; n: number }>(
    `SELECT id, overdue, level, jsonb_array_length(snapshot->'timeline')::int AS n FROM cases WHERE id = ANY($1)`,
    [cases.map((c) => c.id)],
  );
  for (const c of cases) {
    const r = register.rows.find((x) => x.id === c.id);
    if (!r) problems.push(`${c.id}: not in the register`);
    else {
      if (r.n !== byCase(c.id).length) problems.push(`${c.id}: register timeline ${r.n}, audit ${byCase(c.id).length}`);
      if (!r.overdue) problems.push(`${c.id}: not overdue`);
      if (c.kind === 'mediation' && r.level !== 'county') problems.push(`${c.id}: at ${r.level}`);
    }
  }

  const outbox = await db.query<{ message_id: string; recipient: string; status: string }>('SELECT message_id, recipient, status FROM mail_outbox');
  const deliveries = new Map<string, number>();
  for (const m of received) deliveries.set(`${m.messageId} ${m.to}`, (deliveries.get(`${m.messageId} ${m.to}`) ?? 0) + 1);
  // Delivery is at least once with one Message-ID per (notice, recipient): a worker killed (SIGKILL) after the mail
  // server took a message and before the outbox row said so cannot know it went out, so the next relay sends it again
  // after the row's lease, under the same Message-ID (which mail clients show once). Such a resend is counted apart:
  // exactly two copies, the first before the kill, the second after it. Any other second copy is a fault.
  const copies = (k: string) => received.filter((m) => `${m.messageId} ${m.to}` === k).map((m) => m.at);
  const resentAfterKill = [...deliveries.entries()]
    .filter(([k, n]) => n === 2 && copies(k)[0] <= killedAt && copies(k)[1] > killedAt)
    .map(([k]) => k);
  for (const k of resentAfterKill) deliveries.set(k, 1);
  const missing = outbox.rows.filter((o) => !deliveries.has(`${o.message_id} ${o.recipient}`)).map((o) => `${o.message_id} ${o.recipient}`);
  const doubled = [...deliveries.entries()].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
  const unsent = outbox.rows.filter((o) => o.status !== 'sent').map((o) => `${o.message_id} ${o.recipient} ${o.status}`);

  const counted = {
    cases: CASES,
    auditEvents: audit.rows.length,
    timerEvents: audit.rows.filter((a) => !['opened', 'registered'].includes(a.action)).length,
    outboxRows: outbox.rows.length,
    mailsDelivered: received.length,
    mailsMissing: missing.length,
    mailsDoubled: doubled.length,
    mailsResentAfterWorkerKill: resentAfterKill.length,
    outboxUnsent: unsent.length,
    smtpRefusals: refusedDeliveries,
    actionWhileTemporalDown: `${whileTemporalDown.status} ${whileTemporalDown.body.error?.code}`,
    readWhilePostgresDown: `${duringOutage.status} ${duringOutage.body.error?.code} in ${outageMs} ms`,
    petitionWarningsSkippedAsStale: skippedWarnings,
    problems,
  };
  // One line, so that .ci/run can quote it (the suite's full output goes to test-results/ci/faults.log there).
  console.log(`[faults] counted: ${JSON.stringify(counted)}`);
  expect(problems).toEqual([]);
  expect(missing).toEqual([]);
  expect(doubled).toEqual([]);
  expect(unsent).toEqual([]);
  expect(outbox.rows.length).toBeGreaterThan(0);
  expect(refusedDeliveries).toBeGreaterThan(0);
});
