import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SEARCH_ATTRIBUTE_MODES } from '../domain/search-attributes';

/** Every setting is an environment variable, validated once at start-up. */
const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const EnvSchema = z.object({
  PORT: port.default(3000),
  DATA_DIR: z.string().min(1).default('./.data'),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('pingan'),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  SEARCH_ATTRIBUTES: z.enum(SEARCH_ATTRIBUTE_MODES).default('full'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('平安 Pingan <noreply@pingan.local>'),
  POLICY_FILE: z.string().optional(),
  CALENDAR_DIR: z.string().optional(),
  PINGAN_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  TRUST_PROXY: z
    .string()
    .regex(/^(\d+|false|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*|loopback|linklocal|uniquelocal)$/, 'must be a hop count, or addresses/subnets of the proxy (10.0.0.5, 10.0.0.0/8, loopback)')
    .optional(),
  /** Days a member's bearer token lives from its issue or rotation (the built-in administrator's token does not expire). */
  TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** How long a staff action or intake waits for the worker before it answers 503 worker_unavailable. */
  UPDATE_TIMEOUT_SECONDS: z.coerce.number().min(1).max(60).default(8),
  /** Bearer token a Prometheus scraper sends to /metrics; unset: /metrics answers this machine's loopback only. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** host:port where a worker serves the Temporal SDK's Prometheus metrics; unset: not served. */
  WORKER_METRICS_ADDRESS: z.string().regex(/^[^\s]+:\d+$/, 'must be host:port').optional(),
  /**
   * Workflows a worker keeps in memory (Temporal's sticky cache). Unset: the SDK's default, sized from the worker's
   * memory. `npm run bench -- capacity` measures memory and read latency with many open cases for a chosen value.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof EnvSchema> & { dataDir: string };

/**
 * Express's `trust proxy` from TRUST_PROXY: unset, the client address is the connection's and X-Forwarded-For is
 * ignored (a caller on loopback must not choose its own address); a hop count or the proxy's addresses otherwise.
 */
export function trustProxy(c: Pick<Config, 'TRUST_PROXY'>): false | number | string {
  const v = c.TRUST_PROXY;
  if (!v || v === 'false') return false;
  return /^\d+$/.test(v) ? Number(v) : v;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, so `FOO= npm start` behaves like no FOO.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.POLICY_FILE && !fs.existsSync(c.POLICY_FILE)) {
    throw new ConfigError(`Invalid configuration:\n  POLICY_FILE: ${c.POLICY_FILE} does not exist`);
  }
  if (c.CALENDAR_DIR && !fs.existsSync(c.CALENDAR_DIR)) {
    throw new ConfigError(`Invalid configuration:\n  CALENDAR_DIR: ${c.CALENDAR_DIR} does not exist`);
  }
  if (c.TEMPORAL_TLS_CERT && !c.TEMPORAL_TLS_KEY) {
    throw new ConfigError('Invalid configuration:\n  TEMPORAL_TLS_KEY: required when TEMPORAL_TLS_CERT is set');
  }
  return { ...c, dataDir: path.resolve(c.DATA_DIR) };
}
