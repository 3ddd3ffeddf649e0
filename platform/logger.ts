import pino from 'pino';
import { toShanghaiIso } from '../domain/time';

/** Structured JSON logs; times in Asia/Shanghai. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'pingan'): pino.Logger {
  return pino({
    name,
    level,
    timestamp: () => `,"time":"${toShanghaiIso(Date.now())}"`,
    formatters: { level: (label) => ({ level: label }) },
  });
}

export type Logger = pino.Logger;
