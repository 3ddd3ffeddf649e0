import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Connection, Client } from '@temporalio/client';
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

function tlsOptions(config: Config) {
  if (config.TEMPORAL_TLS !== 'true' && !config.TEMPORAL_TLS_CERT && !config.TEMPORAL_API_KEY) return undefined;
  return {
    serverRootCACertificate: config.TEMPORAL_TLS_CA ? fs.readFileSync(config.TEMPORAL_TLS_CA) : undefined,
    clientCertPair: config.TEMPORAL_TLS_CERT
      ? { crt: fs.readFileSync(config.TEMPORAL_TLS_CERT), key: fs.readFileSync(config.TEMPORAL_TLS_KEY!) }
      : undefined,
  };
}

/** The one client of a process, created at start-up. */
export async function connectClient(address: string, config: Config): Promise<Client> {
  const connection = await Connection.connect({
    address,
    tls: tlsOptions(config),
    apiKey: config.TEMPORAL_API_KEY,
  });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
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
