/**
 * `npm run scale-out`: Pingan, unchanged, on the deployment a province would use.
 *
 * Brings up the Temporal server itself (not the CLI dev server) on PostgreSQL for persistence and visibility, two
 * worker processes and two API processes on a separate PostgreSQL database, then
 *   1. runs the intake benchmark through both APIs beside a bare update-with-start baseline on the same server, then
 *      accepts the cases opened at 8 clients beside a bare update that writes the row again (with bench/anatomy.ts),
 *   2. takes one case of each process (mediation, petition, 四议两公开) to its outcome, reading each back through the
 *      other API,
 *   3. shows from the histories that both workers took work,
 * and stops everything. Figures are printed and written to bench/results/<date and time>-scale-out.json. The server
 * caches search attributes as a production server does once Pingan's are registered (SCALE_OUT_FORCE_SA_REFRESH=1
 * keeps it re-reading them on every use, as the dev server does).
 *
 * The server and its schema tool are built once with `go install` into .tools/temporal-server (about 4 minutes on
 * 2 cores; TEMPORAL_SERVER_BIN and TEMPORAL_SQL_TOOL use binaries you have). Arguments: N (cases per concurrency
 * level, default 120) and ROUNDS (default 1): the 8-client intake and the accept are measured ROUNDS times, bare and
 * Pingan in turn (which goes first alternates), and each ratio is the median round's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import { createLogger } from '../platform/logger';
import { freePort, isPortFree } from '../platform/net';
import { onPath, PROJECT_ROOT } from '../platform/temporal-cli';
import { startThrowawayPostgres } from '../platform/throwaway-postgres';
import { newToken } from '../platform/users';
import { anatomy, timed, type Timed } from '../bench/anatomy';
import { inTurn, roundsFigures, runConcurrently, sideBySideFigures } from './scale-out/measure';

const SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = `go.temporal.io/server/cmd/server@${SERVER_VERSION}`;
const SQL_TOOL_MODULE = `go.temporal.io/server/cmd/tools/sql@${SERVER_VERSION}`;
const TOOLS = path.join(PROJECT_ROOT, '.tools', 'temporal-server');
const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'scale-out');
const N = Number(process.argv[2] ?? process.env.N ?? 120);
/** Rounds of the 8-client intake and of the accept (ROUNDS, or the second argument): each ratio then is their median. */
const ROUNDS = Number(process.argv[3] ?? process.env.ROUNDS ?? 1);
/** SCALE_OUT_FORCE_SA_REFRESH=1 keeps the server re-reading search attributes on every use for the whole run (as before 8 December). */
const cachedSearchAttributes = process.env.SCALE_OUT_FORCE_SA_REFRESH !== '1';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** The server and its SQL tool: given, found in .tools/temporal-server, or built once with go install. */
async function serverBinaries(): Promise<{ server: string; sqlTool: string; schemaDir: string }> {
  let server = process.env.TEMPORAL_SERVER_BIN ?? path.join(TOOLS, 'server');
  let sqlTool = process.env.TEMPORAL_SQL_TOOL ?? path.join(TOOLS, 'sql');
  const go = onPath('go');
  if (!fs.existsSync(server) || !fs.existsSync(sqlTool)) {
    if (!go) throw new Error(`the Temporal server is not built and Go is missing: install Go, or set TEMPORAL_SERVER_BIN and TEMPORAL_SQL_TOOL`);
    fs.mkdirSync(TOOLS, { recursive: true });
    logger.info({ modules: [SERVER_MODULE, SQL_TOOL_MODULE], into: TOOLS }, 'building the Temporal server once (about 4 minutes on 2 cores)');
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', SERVER_MODULE, SQL_TOOL_MODULE], { env: { ...process.env, GOBIN: TOOLS }, stdio: ['ignore', 'pipe', 'pipe'] });
      let last = '';
      child.stderr.on('data', (b: Buffer) => (last = b.toString().trim().split('\n').pop() ?? last));
      const tick = setInterval(() => logger.info({ elapsedSeconds: Math.round((Date.now() - started) / 1000), last }, 'building the Temporal server…'), 20_000);
      child.on('exit', (code) => {
        clearInterval(tick);
        if (code === 0) resolve();
        else reject(new Error(`go install failed (${code}): ${last}`));
      });
    });
    server = path.join(TOOLS, 'server');
    sqlTool = path.join(TOOLS, 'sql');
  }
  // The PostgreSQL schemas ship with the module source.
  const modCache = go ? run(go, ['env', 'GOMODCACHE']).trim() : path.join(os.homedir(), 'go', 'pkg', 'mod');
  const schemaDir = process.env.TEMPORAL_SCHEMA_DIR ?? path.join(modCache, `go.temporal.io/server@${SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
  if (!fs.existsSync(schemaDir)) throw new Error(`the server's PostgreSQL schema was not found at ${schemaDir} (set TEMPORAL_SCHEMA_DIR)`);
  return { server, sqlTool, schemaDir };
}

function serverConfig(o: { pgPort: number; ports: Record<'frontend' | 'history' | 'matching' | 'worker' | 'http' | 'metrics' | 'pprof', number>; membership: Record<'frontend' | 'history' | 'matching' | 'worker', number>; dynamicConfig: string }): string {
  const store = (db: string, conns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: "${db}"
        connectAddr: "127.0.0.1:${o.pgPort}"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: "1h"`;
  const service = (name: 'frontend' | 'history' | 'matching' | 'worker') => `
  ${name}:
    rpc:
      grpcPort: ${o.ports[name]}
      membershipPort: ${o.membership[name]}
      bindOnLocalHost: true${name === 'frontend' ? `\n      httpPort: ${o.ports.http}` : ''}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:${store('temporal', 20)}
    postgres-visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: ${o.ports.pprof}
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${o.ports.metrics}"
services:${service('frontend')}${service('matching')}${service('history')}${service('worker')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${o.ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${o.dynamicConfig}"
  pollInterval: "10s"
`;
}

/** A failure no waiting cures (a process exited): `until` gives up at once. */
class Fatal extends Error {}

/** A free port below 32768: the server keeps membership ports in a smallint column. */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if (await isPortFree(p)) return p;
  }
}

async function until<T>(what: string, fn: () => Promise<T>, seconds = 90): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Fatal) throw err;
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`${what}: not ready after ${seconds} s: ${last instanceof Error ? last.message : String(last)}`);
}

interface Child {
  name: string;
  proc: ChildProcess;
  cpuSeconds(): number;
}

function cpuSecondsOf(pid: number | undefined): number {
  // utime + stime of the process itself, from /proc (children of npm/tsx wrappers are not involved: we start node).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const started = Date.now();
  const children: Child[] = [];
  const cleanups: Array<() => void | Promise<void>> = [];
  const stopAll = async () => {
    for (const c of [...children].reverse()) {
      if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
    }
    await Promise.all(
      children.map((c) => (c.proc.exitCode !== null ? undefined : new Promise((r) => {
        const t = setTimeout(() => { c.proc.kill('SIGKILL'); r(undefined); }, 15_000);
        c.proc.once('exit', () => { clearTimeout(t); r(undefined); });
      }))),
    );
    for (const f of cleanups.reverse()) await f();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-scale-out-'));
  const spawnChild = (name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Child => {
    const out = fs.openSync(path.join(work, `${name}.log`), 'a');
    const proc = spawn(cmd, args, { env, stdio: ['ignore', out, out], cwd: PROJECT_ROOT });
    const child: Child = { name, proc, cpuSeconds: () => cpuSecondsOf(proc.pid) };
    let lastCpu = 0;
    proc.on('exit', () => void 0);
    const poll = setInterval(() => {
      const v = child.cpuSeconds();
      if (!Number.isNaN(v)) lastCpu = v;
    }, 1000);
    cleanups.push(() => clearInterval(poll));
    child.cpuSeconds = () => {
      const v = cpuSecondsOf(proc.pid);
      return Number.isNaN(v) ? lastCpu : v;
    };
    children.push(child);
    return child;
  };

  let succeeded = false;
  try {
    const bins = await serverBinaries();
    logger.info({ server: bins.server, logs: work }, 'step 1/6: PostgreSQL (persistence, visibility and the Pingan register in one cluster)');
    const pgPort = await freePort();
    const pgServer = startThrowawayPostgres(pgPort);
    cleanups.push(() => pgServer.stop());
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    for (const db of ['temporal', 'temporal_visibility', 'pingan']) await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const sql = (db: string, ...args: string[]) =>
      run(bins.sqlTool, ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(pgPort), '--user', 'postgres', '--database', db, ...args]);
    sql('temporal', 'setup-schema', '-v', '0.0');
    sql('temporal', 'update-schema', '-d', path.join(bins.schemaDir, 'temporal', 'versioned'));
    sql('temporal_visibility', 'setup-schema', '-v', '0.0');
    sql('temporal_visibility', 'update-schema', '-d', path.join(bins.schemaDir, 'visibility', 'versioned'));

    logger.info('step 2/6: the Temporal server');
    const port = async () => freePort();
    const ports = { frontend: await port(), history: await port(), matching: await port(), worker: await port(), http: await port(), metrics: await port(), pprof: await port() };
    const membership = { frontend: await freeLowPort(), history: await freeLowPort(), matching: await freeLowPort(), worker: await freeLowPort() };
    const root = path.join(work, 'server');
    fs.mkdirSync(path.join(root, 'config'), { recursive: true });
    const dynamicConfig = path.join(root, 'config', 'dynamic.yaml');
    fs.writeFileSync(dynamicConfig, 'system.forceSearchAttributesCacheRefreshOnRead:\n  - value: true\n');
    fs.writeFileSync(path.join(root, 'config', 'scale-out.yaml'), serverConfig({ pgPort, ports, membership, dynamicConfig }));
    const server = spawnChild('temporal-server', bins.server, ['--root', root, '--config', 'config', '--env', 'scale-out', '--allow-no-auth', 'start'], process.env);
    const address = `127.0.0.1:${ports.frontend}`;
    const connection = await until('Temporal frontend', async () => {
      if (server.proc.exitCode !== null) throw new Fatal(`the server exited (${server.proc.exitCode}); see ${work}/temporal-server.log`);
      const c = await Connection.connect({ address, connectTimeout: 2000 });
      await c.workflowService.getSystemInfo({});
      return c;
    }, 120);
    cleanups.push(() => connection.close());
    await connection.workflowService
      .registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('3 days') })
      .catch((err: { code?: number }) => (err.code === 6 /* ALREADY_EXISTS */ ? undefined : Promise.reject(err)));
    const client = new Client({ connection, namespace: 'default' });
    await until('namespace default', () => connection.workflowService.describeNamespace({ namespace: 'default' }), 60);
    await until('namespace usable', () => client.workflow.list({ query: '' })[Symbol.asyncIterator]().next(), 60);

    logger.info('step 3/6: two API processes and two workers');
    const adminToken = newToken();
    const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
      ...process.env,
      TEMPORAL_ADDRESS: address,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/pingan`,
      PINGAN_ADMIN_TOKEN: adminToken,
      DATA_DIR: path.join(work, 'data'),
      LOG_LEVEL: 'warn',
      ...extra,
    });
    // `node --import tsx` runs the TypeScript in the process itself, so its CPU time is the process's own.
    const tsx = ['--import', 'tsx'];
    const apiPorts = [await port(), await port()];
    const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const health = async (url: string, child: Child) => {
      if (child.proc.exitCode !== null) throw new Fatal(`${child.name} exited (${child.proc.exitCode}); see ${work}/${child.name}.log`);
      const r = await fetch(`${url}/healthz`);
      if (r.status !== 200) throw new Error(`${url}/healthz ${r.status}`);
    };
    // The first API migrates the register and registers the search attributes; the others start after it.
    const api1 = spawnChild('api-1', process.execPath, [...tsx, 'api/main.ts'], env({ PORT: String(apiPorts[0]) }));
    await until('api-1', () => health(apiUrls[0], api1), 120);
    const api2 = spawnChild('api-2', process.execPath, [...tsx, 'api/main.ts'], env({ PORT: String(apiPorts[1]) }));
    const workers = [1, 2].map((i) => spawnChild(`worker-${i}`, process.execPath, [...tsx, 'worker/main.ts'], env({})));
    await until('api-2', () => health(apiUrls[1], api2), 120);
    await until('two workers polling', async () => {
      for (const w of workers) if (w.proc.exitCode !== null) throw new Fatal(`${w.name} exited; see ${work}/${w.name}.log`);
      const d = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'pingan' }, taskQueueType: 1 });
      const identities = new Set((d.pollers ?? []).map((p) => p.identity));
      if (identities.size < 2) throw new Error(`${identities.size} worker(s) polling`);
    }, 120);
    if (cachedSearchAttributes) {
      // The server re-read the search attributes on every use until now (forceSearchAttributesCacheRefreshOnRead), so
      // that the ones the first API registered were usable at once. A production server caches them: the setting is
      // turned off now that they exist, and the server reads its dynamic config again within its poll interval (10 s).
      fs.writeFileSync(dynamicConfig, 'system.forceSearchAttributesCacheRefreshOnRead:\n  - value: false\n');
      logger.info('search attributes registered; the server caches them from now on, as in production (waiting 12 s for it to read its dynamic config)');
      await new Promise((r) => setTimeout(r, 12_000));
    }

    const call = async (i: number, method: string, route: string, token: string, body?: unknown) => {
      const res = await fetch(`${apiUrls[i % 2]}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as any;
      if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const county = `扩展县${randomBytes(2).toString('hex')}`;
    const village = `${county}/扩展镇/扩展村`;
    const user = async (body: object) => (await call(0, 'POST', '/api/v1/users', adminToken, body)) as { token: string; user: { id: string } };
    const grid = await user({ name: '网格员', email: 'grid@scale.cn', role: 'grid_worker', area: village });
    const med = await user({ name: '村调解员', email: 'med@scale.cn', role: 'mediator', level: 'village', area: village });
    const officer = await user({ name: '信访干部', email: 'officer@scale.cn', role: 'petition_officer', area: county });
    const leader = await user({ name: '包案领导', email: 'leader@scale.cn', role: 'leader', area: county });
    const clerk = await user({ name: '村文书', email: 'clerk@scale.cn', role: 'village_clerk', area: village });

    logger.info({ n: N }, 'step 4/6: intake, then the staff action (accept), through both APIs beside a bare baseline on the same server');
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/pingan`, max: 10 });
    cleanups.push(() => pool.end());
    await pool.query('CREATE TABLE IF NOT EXISTS bare_rows (id text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
    const bareConnection = await NativeConnection.connect({ address });
    const bareWorker = await Worker.create({
      connection: bareConnection,
      namespace: 'default',
      taskQueue: 'bare-baseline',
      workflowsPath: require.resolve('./scale-out/bare-workflow'),
      activities: {
        async writeRow(id: string) {
          await pool.query('INSERT INTO bare_rows (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
        },
        async touchRow(id: string) {
          await pool.query('UPDATE bare_rows SET at = now() WHERE id = $1', [id]);
        },
      },
    });
    const bareRun = bareWorker.run();
    cleanups.push(async () => {
      bareWorker.shutdown();
      await bareRun;
      await bareConnection.close();
    });
    // Each intake's send and answer times at 1 client, for where an intake's time goes (bench/anatomy.ts).
    const intakeTimes = { pingan: new Map() as Timed, bare: new Map() as Timed };
    let noting = false;
    const bareIds: string[] = [];
    const bareIntake = async (i: number) => {
      const id = `bare-${randomBytes(6).toString('hex')}-${i}`;
      bareIds.push(id);
      const op = new WithStartWorkflowOperation('bareCase', { workflowId: id, taskQueue: 'bare-baseline', workflowIdConflictPolicy: 'FAIL' });
      const send = () => client.workflow.executeUpdateWithStart('open', { startWorkflowOperation: op });
      await (noting ? timed(intakeTimes.bare, id, send) : send());
    };
    const caseIds: string[] = [];
    const pinganIntake = async (i: number) => {
      const send = () => call(i, 'POST', '/api/v1/mediations', grid.token, {
        category: 'neighbourhood', summary: `扩展测试纠纷第${i}件`, area: village, channel: 'grid', parties: [{ name: '甲', role: 'applicant' }],
      }) as Promise<{ id: string }>;
      const c = await (noting ? timed(intakeTimes.pingan, (out: { id: string }) => out.id, send) : send());
      caseIds.push(c.id);
    };
    const intake: Record<string, unknown> = {};
    for (const concurrency of [1, 8]) {
      const count = concurrency === 1 ? Math.max(10, Math.round(N / 4)) : N;
      // Warm both paths, then measure them alternately so that drift on a shared machine falls on both.
      await runConcurrently(4, concurrency, bareIntake);
      await runConcurrently(4, concurrency, pinganIntake);
      const rounds: ReturnType<typeof sideBySideFigures>[] = [];
      noting = concurrency === 1;
      for (let r = 0; r < (concurrency === 8 ? ROUNDS : 1); r++) {
        const bareSide = () => runConcurrently(count, concurrency, bareIntake, (d) => logger.info({ done: d, of: count, concurrency, round: r + 1 }, 'bare intake…'));
        const pinganSide = () => runConcurrently(count, concurrency, pinganIntake, (d) => logger.info({ done: d, of: count, concurrency, round: r + 1 }, 'Pingan intake…'));
        const { bare, pingan } = await inTurn(r, bareSide, pinganSide);
        rounds.push(sideBySideFigures(count, bare, pingan));
        logger.info({ concurrency, round: r + 1, ...rounds[r] }, 'intake measured');
      }
      intake[`c${concurrency}`] = roundsFigures(rounds);
      noting = false;
    }
    // Where an intake's time goes at 1 client: the real server's quick hand-overs leave each step's own work showing.
    intake.c1 = { ...(intake.c1 as object), anatomy: await anatomy(client, intakeTimes) };
    logger.info({ anatomy: (intake.c1 as { anatomy: { p50ms: unknown } }).anatomy.p50ms }, 'where an intake\'s time goes at 1 client');

    // The staff action: the cases just opened at 8 clients accepted through both APIs, beside a bare update that writes
    // the row once more, with where each one's time goes (bench/anatomy.ts).
    // Each round accepts the cases one round of the 8-client intake opened (the last ROUNDS × N of each side).
    const opened8 = { pingan: caseIds.slice(-N * ROUNDS), bare: bareIds.slice(-N * ROUNDS) };
    let times = { pingan: new Map() as Timed, bare: new Map() as Timed };
    const acceptRounds: ReturnType<typeof sideBySideFigures>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const toAccept = { pingan: opened8.pingan.slice(r * N, (r + 1) * N), bare: opened8.bare.slice(r * N, (r + 1) * N) };
      times = { pingan: new Map() as Timed, bare: new Map() as Timed };
      const bareSide = () => runConcurrently(N, 8, (i) =>
        timed(times.bare, toAccept.bare[i], () => client.workflow.getHandle(toAccept.bare[i]).executeUpdate('accept')),
      (d) => logger.info({ done: d, of: N, round: r + 1 }, 'bare accept…'));
      const pinganSide = () => runConcurrently(N, 8, (i) =>
        timed(times.pingan, toAccept.pingan[i], () => call(i, 'POST', `/api/v1/mediations/${toAccept.pingan[i]}/accept`, med.token, {})),
      (d) => logger.info({ done: d, of: N, round: r + 1 }, 'Pingan accept…'));
      const { bare, pingan } = await inTurn(r, bareSide, pinganSide);
      acceptRounds.push(sideBySideFigures(N, bare, pingan));
      logger.info({ round: r + 1, ...acceptRounds[r] }, 'accept measured');
    }
    // Where an accept's time goes: the last round's.
    const accept = { c8: { ...roundsFigures(acceptRounds), anatomy: await anatomy(client, times) } };
    logger.info({ ...accept.c8, anatomy: accept.c8.anatomy.p50ms }, 'accept measured');

    logger.info('step 5/6: one case of each process, each step through alternating APIs');
    const caseOf = caseIds[0];
    await call(1, 'POST', `/api/v1/mediations/${caseOf}/accept`, med.token, {});
    const agreed = await call(0, 'POST', `/api/v1/mediations/${caseOf}/agreement`, med.token, { form: 'written', terms: '甲方三日内修复围墙', parties: ['甲', '乙'] });
    const mediation = (await call(1, 'GET', `/api/v1/mediations/${caseOf}`, med.token)) as any;

    const p = await call(0, 'POST', '/api/v1/petitions', officer.token, {
      petitioner: { name: '周某', phone: '13800000000' }, subject: '道路破损未修', content: '村东道路破损一年未修。', channel: 'visit', area: `${county}/扩展镇`,
    });
    await call(1, 'POST', `/api/v1/petitions/${p.id}/assign`, officer.token, { unit: '县交通运输局', unitHead: '王局长' });
    await call(0, 'POST', `/api/v1/petitions/${p.id}/leader`, officer.token, { leaderId: leader.user.id });
    await call(1, 'POST', `/api/v1/petitions/${p.id}/accept`, leader.token, { notice: '依法予以受理' });
    await call(0, 'POST', `/api/v1/petitions/${p.id}/reply`, officer.token, { decision: 'supported', opinion: '月底前修复。' });
    const petition = (await call(1, 'GET', `/api/v1/petitions/${p.id}`, officer.token)) as any;

    const v = await call(0, 'POST', '/api/v1/village-decisions', clerk.token, { type: 'homestead', title: '宅基地安排方案', description: '新增宅基地8处' });
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const steps: Array<[string, number, number, number, object?]> = [
      ['party_branch', 5, 5, 5], ['two_committees', 7, 7, 6], ['party_members', 42, 28, 25],
      ['villagers', 860, 300, 280, { households: 300, householdsRepresented: 201 }],
    ];
    let minutes = 90;
    for (const [i, [body, entitled, present, votesFor, extra]] of steps.entries()) {
      await call(i, 'POST', `/api/v1/village-decisions/${v.id}/meetings`, clerk.token, {
        body, heldAt: ago((minutes -= 10)), noticeGivenAt: ago(11 * 24 * 60), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: '同意', ...extra,
      });
    }
    const matter = (await call(1, 'GET', `/api/v1/village-decisions/${v.id}`, clerk.token)) as any;
    const cases = {
      mediation: { id: caseOf, status: mediation.status, outcome: mediation.outcome ?? agreed.outcome ?? null },
      petition: { id: p.id, status: petition.status },
      village: { id: v.id, status: matter.status ?? matter.stage },
    };
    logger.info(cases, 'cases through the real server');
    if (mediation.status !== 'closed') throw new Error(`the mediation case ended ${mediation.status}, not closed`);
    if (petition.status !== 'replied') throw new Error(`the petition ended ${petition.status}, not replied`);

    logger.info('step 6/6: which worker ran what');
    const identities = new Map<string, number>();
    for (const id of caseIds.slice(0, 40)) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      for (const e of history.events ?? []) {
        const who = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
        if (who) identities.set(who, (identities.get(who) ?? 0) + 1);
      }
    }
    if (identities.size < 2) throw new Error(`only one worker took tasks: ${[...identities.keys()].join(', ')}`);

    const cpu = Object.fromEntries(children.map((c) => [c.name, c.cpuSeconds()]));
    const result = {
      at: new Date().toISOString(),
      machine: { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      temporalServer: SERVER_VERSION,
      persistence: 'PostgreSQL 15 (persistence and visibility)',
      searchAttributeCache: cachedSearchAttributes ? 'on once the search attributes were registered (as in production)' : 'forced refresh on every read (SCALE_OUT_FORCE_SA_REFRESH=1)',
      processes: { apis: 2, workers: 2 },
      rounds: ROUNDS,
      intake,
      accept,
      cases,
      tasksByWorker: Object.fromEntries(identities),
      cpuSeconds: cpu,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    const out = path.join(PROJECT_ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:]/g, '').replace(/\..*$/, '')}-scale-out.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    logger.info({ out }, 'scale-out run complete; stopping everything');
    succeeded = true;
  } finally {
    await stopAll();
    if (succeeded) fs.rmSync(work, { recursive: true, force: true });
    else logger.error({ logs: work }, 'the logs of every process are kept here');
  }
}

main().catch((err) => {
  logger.error({ err: err instanceof Error ? err.message : String(err) }, 'scale-out failed');
  process.exit(1);
});
