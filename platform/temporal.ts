import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Connection, Client, isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, type WorkflowClientInterceptor } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../domain/search-attributes';
import type { Config } from './config';
import type { Logger } from './logger';

export interface DevServer {
  address: string;
  uiUrl?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cli: string;
  port: number;
  uiPort?: number;
  /** Persist to this SQLite file; in memory when absent. */
  dbFile?: string;
  namespace: string;
  logFile: string;
  logger: Logger;
}

/** Starts `temporal server start-dev` bound to 127.0.0.1 with Pingan's search attributes, and waits until it answers. */
export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--namespace', o.namespace];
  args.push('--log-format', 'json', '--log-level', 'warn');
  if (o.uiPort) args.push('--ui-port', String(o.uiPort));
  else args.push('--headless');
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS)) args.push('--search-attribute', `${name}=${type}`);
  const log = fs.openSync(o.logFile, 'a');
  const child = spawn(o.cli, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  adoptChild(child);
  const address = `127.0.0.1:${o.port}`;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) {
      const tail = fs.readFileSync(o.logFile, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`Temporal dev server exited with code ${exited} (log ${o.logFile}):\n${tail}`);
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not answer on ${address} within 60 s: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  o.logger.info({ address, ui: o.uiPort ? `http://127.0.0.1:${o.uiPort}` : undefined, dbFile: o.dbFile }, 'Temporal dev server ready');
  return {
    address,
    uiUrl: o.uiPort ? `http://127.0.0.1:${o.uiPort}` : undefined,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

const children = new Set<ChildProcess>();
/**
 * A dev server never outlives the process that started it: whatever way the process ends (process.exit after a
 * signal during start-up, an uncaught error), the 'exit' hook kills the children still running.
 */
function adoptChild(child: ChildProcess): void {
  if (children.size === 0) process.on('exit', killChildren);
  children.add(child);
  child.once('exit', () => children.delete(child));
}
function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

function tlsOptions(config: Config) {
  if (config.TEMPORAL_TLS !== 'true' && !config.TEMPORAL_TLS_CERT && !config.TEMPORAL_API_KEY) return undefined;
  return {
    serverRootCACertificate: config.TEMPORAL_TLS_CA ? fs.readFileSync(config.TEMPORAL_TLS_CA) : undefined,
    clientCertPair: config.TEMPORAL_TLS_CERT
      ? { crt: fs.readFileSync(config.TEMPORAL_TLS_CERT), key: fs.readFileSync(config.TEMPORAL_TLS_KEY!) }
      : undefined,
  };
}

/** The one client of a process, created at start-up; its updates and queries answer in bounded time (below). */
export async function connectClient(address: string, config: Config, bounds: Partial<AvailabilityBounds> = {}): Promise<Client> {
  const connection = await Connection.connect({
    address,
    tls: tlsOptions(config),
    apiKey: config.TEMPORAL_API_KEY,
  });
  const guard = availabilityInterceptor(connection, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE, {
    updateMs: config.UPDATE_TIMEOUT_SECONDS * 1000,
    ...bounds,
  });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: { workflow: [guard] } });
}

/** Temporal or the worker cannot take the request now; api/errors.ts answers 503 with Retry-After. */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly code: 'temporal_unavailable' | 'worker_unavailable',
    message: string,
  ) {
    super(message);
  }
}

export interface AvailabilityBounds {
  /** An update (staff action, intake) that is not answered by then fails with worker_unavailable. */
  updateMs: number;
  /** A query (live state) that is not answered by then fails; the API then answers from the register. */
  queryMs: number;
  /** A worker counts as present when it polled the task queue this recently (an idle poll lasts up to 60 s). */
  pollerFreshMs: number;
  /** How long a "worker present" answer of DescribeTaskQueue is reused; an "absent" one is reused for 1 s. */
  cacheMs: number;
}
export const DEFAULT_BOUNDS: AvailabilityBounds = { updateMs: 8_000, queryMs: 3_000, pollerFreshMs: 90_000, cacheMs: 5_000 };

const grpcCode = (err: unknown): number | undefined => {
  const cause = err instanceof ServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ? err.cause : err;
  return isGrpcServiceError(cause) ? cause.code : undefined;
};
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** Whether an error of the Temporal client means that the server cannot be reached (not that it refused). */
export function isTemporalUnreachable(err: unknown): boolean {
  const code = grpcCode(err);
  return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED;
}

/**
 * Updates and queries answer in bounded time. Before sending one, a cached DescribeTaskQueue asks whether any worker
 * polls the task queue: with none (or Temporal out of reach) the request is refused at once and nothing is sent, so
 * nothing can be applied later. A sent update carries a gRPC deadline; if it runs out (the worker died meanwhile, or
 * is too slow) the answer says the action may still be applied when a worker returns and that a retry with the same
 * Idempotency-Key is safe (the same update id, so Temporal applies it once).
 */
export function availabilityInterceptor(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  bounds: Partial<AvailabilityBounds> = {},
): WorkflowClientInterceptor {
  const b = { ...DEFAULT_BOUNDS, ...bounds };
  let cached: { at: number; answer: Promise<ServiceUnavailableError | undefined> } | undefined;

  const describe = async (): Promise<ServiceUnavailableError | undefined> => {
    try {
      const r = await connection.withDeadline(Date.now() + Math.min(2_000, b.updateMs), () =>
        connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ }, taskQueueType: 1 /* WORKFLOW */ }),
      );
      const since = Date.now() - b.pollerFreshMs;
      const present = (r.pollers ?? []).some((p) => Number(p.lastAccessTime?.seconds ?? 0) * 1000 >= since);
      if (present) return undefined;
      return new ServiceUnavailableError(
        'worker_unavailable',
        `no Pingan worker is polling task queue ${taskQueue}; nothing was done. Try again once a worker runs (npm run worker)`,
      );
    } catch (err) {
      return new ServiceUnavailableError('temporal_unavailable', `Temporal does not answer (${(err as Error).message}); nothing was done`);
    }
  };
  const workerPresent = async (): Promise<void> => {
    const now = Date.now();
    if (!cached || now - cached.at > b.cacheMs) cached = { at: now, answer: describe() };
    let refusal = await cached.answer;
    // An absent worker is asked about again after a second: a worker that just started polls within that.
    if (refusal && Date.now() - cached.at > 1_000) {
      cached = { at: Date.now(), answer: describe() };
      refusal = await cached.answer;
    }
    if (refusal) throw refusal;
  };
  const timedOut = (err: unknown, what: string, ms: number): unknown => {
    cached = undefined; // ask again next time: the worker or the server may be gone
    const expired = err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || grpcCode(err) === GRPC_DEADLINE_EXCEEDED;
    if (expired && what.startsWith('the query')) {
      return new ServiceUnavailableError('worker_unavailable', `${what} was not answered within ${ms / 1000} s (the worker is unavailable or overloaded)`);
    }
    if (expired) {
      return new ServiceUnavailableError(
        'worker_unavailable',
        `${what} was not answered within ${ms / 1000} s (the worker is unavailable or overloaded). It may still be ` +
          'applied when a worker takes it: look at the case before acting again, or retry with the same Idempotency-Key, which is safe',
      );
    }
    if (grpcCode(err) === GRPC_UNAVAILABLE) return new ServiceUnavailableError('temporal_unavailable', `Temporal does not answer; ${what} was not sent`);
    return err;
  };
  const bounded = async <T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> => {
    await workerPresent();
    try {
      return await connection.withDeadline(Date.now() + ms, fn);
    } catch (err) {
      throw timedOut(err, what, ms);
    }
  };
  return {
    startUpdate: (input, next) => bounded(b.updateMs, `the action ${input.updateName}`, () => next(input)),
    startUpdateWithStart: (input, next) => bounded(b.updateMs, `the action ${input.updateName}`, () => next(input)),
    query: (input, next) => bounded(b.queryMs, `the query ${input.queryType}`, () => next(input)),
  };
}

let runtimeInstalled = false;
/**
 * Routes the SDK's own log lines (worker state, replay, core) into the structured log, and serves the SDK's metrics
 * (pollers, task slots, schedule-to-start latency, …) for Prometheus at `metricsAddress` when given. Once per process.
 */
export function installTemporalRuntime(logger: Logger, metricsAddress?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const child = logger.child({ component: 'temporal-sdk' });
  const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  Runtime.install({
    // The SDK would shut every worker down on SIGINT/SIGTERM by itself, before the API has answered the updates in
    // flight; the processes stop their workers in their own order instead (scripts/start.ts, worker/main.ts).
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', (e: LogEntry) => child[levels[e.level]](e.meta ?? {}, e.message)),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
}

export async function connectWorker(address: string, config: Config): Promise<NativeConnection> {
  return NativeConnection.connect({ address, tls: tlsOptions(config), apiKey: config.TEMPORAL_API_KEY });
}

/** On a cluster we did not start, registers any of Pingan's search attributes that are missing. */
export async function ensureSearchAttributes(client: Client, namespace: string, logger: Logger): Promise<void> {
  // The Java time-skipping test server implements adding search attributes but not listing them.
  const existing = await client.connection.operatorService
    .listSearchAttributes({ namespace })
    .catch((err: { code?: number }) => (err.code === 12 /* UNIMPLEMENTED */ ? { customAttributes: {} } : Promise.reject(err)));
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  const TYPES: Record<string, number> = { Keyword: 2, Bool: 5, Datetime: 6, KeywordList: 7 }; // temporal.api.enums.v1.IndexedValueType
  const missing = Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS).filter(([n]) => !have.has(n));
  if (missing.length === 0) return;
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([n, t]) => [n, TYPES[t]])),
  });
  logger.info({ added: missing.map(([n]) => n) }, 'search attributes registered');
}
