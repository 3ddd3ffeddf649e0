/**
 * `npm run fuzz`: schemathesis (PyPI, in .tools/venv) against GET /api/v1/openapi.json of a whole system started here
 * as the tests start it (a throw-away PostgreSQL, the Temporal dev server in memory, worker and API, mail to files),
 * once with the administrator's token and once with a village clerk's. Fails on any 5xx or any answer that breaks the
 * document. Bounded: FUZZ_EXAMPLES test cases per operation (default 10) and FUZZ_MAX_TIME seconds per run (default
 * 100); FUZZ_SEED repeats a run; FUZZ_WORKERS (default 1); FUZZ_ROLES adds roles (admin, village_clerk, grid_worker,
 * mediator, petition_officer, supervisor, leader). Reports (JUnit, NDJSON) go to test-results/fuzz/.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { freePort } from '../platform/net';
import { loadPolicy } from '../platform/policy';
import { prepareDatabase, runApi, runWorker } from '../platform/system';
import { startDevServer } from '../platform/temporal';
import { ensureTemporalCli } from '../platform/temporal-cli';
import { startThrowawayPostgres } from '../platform/throwaway-postgres';
import { ensureAdmin, newToken } from '../platform/users';

const ROOT = path.resolve(__dirname, '..');
const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = path.join(ROOT, '.tools', 'venv');
const BIN = path.join(VENV, 'bin', 'schemathesis');

/** schemathesis ${SCHEMATHESIS_VERSION} in .tools/venv, installed once. */
function ensureSchemathesis(): void {
  const has = fs.existsSync(BIN) && (spawnSync(BIN, ['--version'], { encoding: 'utf8' }).stdout ?? '').includes(SCHEMATHESIS_VERSION);
  if (has) return;
  console.log(`== installing schemathesis ${SCHEMATHESIS_VERSION} into ${path.relative(ROOT, VENV)}`);
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
  };
  if (!fs.existsSync(path.join(VENV, 'bin', 'pip'))) run('python3', ['-m', 'venv', VENV]);
  run(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`]);
}

function schemathesis(url: string, who: string, token: string, seed: string, extra: string[] = []): Promise<number> {
  const reports = path.join(ROOT, 'test-results', 'fuzz');
  fs.mkdirSync(reports, { recursive: true });
  const args = [
    'run', `${url}/api/v1/openapi.json`,
    '-H', `Authorization: Bearer ${token}`,
    '--checks', 'not_a_server_error,response_schema_conformance',
    '-n', process.env.FUZZ_EXAMPLES ?? '10',
    '--max-time', process.env.FUZZ_MAX_TIME ?? '100',
    '--seed', seed,
    // One worker: with more, Python 3.11's ast.parse in hypothesis's threads fails now and then ("AST constructor
    // recursion depth mismatch"), an error of the tool, not of the API.
    '--workers', process.env.FUZZ_WORKERS ?? '1',
    '--request-timeout', '30',
    '--report', 'junit,ndjson',
    '--report-junit-path', path.join(reports, `${who}.xml`),
    '--report-ndjson-path', path.join(reports, `${who}.ndjson`),
    '--output-sanitize', 'true',
    ...extra,
  ];
  console.log(`== schemathesis as ${who}: ${args.filter((a) => !a.startsWith('Authorization')).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  ensureSchemathesis();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'fuzz');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-fuzz-'));
  const stops: (() => Promise<void> | void)[] = [];
  try {
    const pg = startThrowawayPostgres(await freePort());
    stops.push(() => pg.stop());
    const temporal = await startDevServer({ cli: await ensureTemporalCli(logger), port: await freePort(), namespace: 'default', logFile: path.join(tmp, 'temporal.log'), logger });
    stops.push(() => void temporal.child.kill('SIGKILL'));
    const adminToken = newToken();
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: pg.url, DATA_DIR: tmp, TEMPORAL_TASK_QUEUE: `fuzz-${randomBytes(3).toString('hex')}`,
      PINGAN_ADMIN_TOKEN: adminToken,
    });
    const policy = loadPolicy(config.POLICY_FILE, config.CALENDAR_DIR);
    const { db } = await prepareDatabase(config, logger);
    stops.push(() => db.end());
    await ensureAdmin(db, adminToken);
    const mailer = createMailer({ outboxDir: path.join(tmp, 'outbox'), logger });
    stops.push(() => mailer.close());
    const worker = await runWorker({ address: temporal.address, config, db, mailer, logger });
    stops.push(() => worker.stop());
    const api = await runApi({ address: temporal.address, config, db, policy, logger, port: 0 });
    stops.push(() => api.stop());

    // Members as the roles to fuzz with (FUZZ_ROLES, default: a village clerk, then the built-in administrator).
    const MEMBERS: Record<string, Record<string, string>> = {
      village_clerk: { role: 'village_clerk', area: '肃宁县/梁家村镇/东村' },
      grid_worker: { role: 'grid_worker', area: '肃宁县/梁家村镇/东村' },
      mediator: { role: 'mediator', level: 'village', area: '肃宁县/梁家村镇/东村' },
      petition_officer: { role: 'petition_officer', area: '肃宁县' },
      supervisor: { role: 'supervisor', area: '肃宁县' },
      leader: { role: 'leader', area: '肃宁县' },
    };
    const member = async (who: string): Promise<string> => {
      const res = await fetch(`${api.url}/api/v1/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `模糊测试${who}`, email: `fuzz-${who.replace(/_/g, '-')}@example.cn`, ...MEMBERS[who] }),
      });
      if (res.status !== 201) throw new Error(`creating the ${who} failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    };

    const seed = process.env.FUZZ_SEED ?? String(Date.now() % 1_000_000);
    const failed: string[] = [];
    // Members first, and without the calls that would end their own token (revocation, rotation: a member may make
    // them on itself, and every later call would be a 401); the built-in administrator's token cannot be revoked.
    const runs: [string, string, string[]][] = [];
    for (const who of (process.env.FUZZ_ROLES ?? 'village_clerk,admin').split(',').map((x) => x.trim())) {
      if (who === 'admin') runs.push(['admin', adminToken, []]);
      else if (MEMBERS[who]) runs.push([who, await member(who), ['--exclude-path-regex', '^/api/v1/users/\\{id\\}/(tokens|deactivation)$']]);
      else throw new Error(`FUZZ_ROLES: unknown role ${who} (one of admin, ${Object.keys(MEMBERS).join(', ')})`);
    }
    runs.sort((a, b) => Number(a[0] === 'admin') - Number(b[0] === 'admin'));
    for (const [who, token, extra] of runs) {
      if ((await schemathesis(api.url, who, token, seed, extra)) !== 0) failed.push(who);
    }
    console.log(failed.length === 0 ? `== fuzz: no 5xx, no schema violation (seed ${seed})` : `== fuzz FAILED as ${failed.join(', ')} (seed ${seed}; FUZZ_SEED=${seed} repeats it)`);
    return failed.length === 0 ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`fuzz: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
