import pino from 'pino';
import { toShanghaiIso } from '../domain/time';

/**
 * Structured JSON logs; times in Asia/Shanghai. Logs never carry secrets or people's contact details (issue 11):
 * - fields whose name says what they hold (authorization, cookie, token, password, email, phone, ...) are replaced by
 *   `[redacted]`, at any depth;
 * - every string (messages included) is scrubbed of bearer tokens, `pgn_` tokens, console invitation and session
 *   tokens in paths, mail addresses and mobile numbers;
 * - an error is logged as its type, code and (scrubbed) message, never its stack trace or the failing row's values.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'pingan', destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    timestamp: () => `,"time":"${toShanghaiIso(Date.now())}"`,
    formatters: { level: (label) => ({ level: label }), log: (obj) => scrubValue(obj, 0, new WeakSet()) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const out: unknown[] = args.map((a) => (typeof a === 'string' ? scrubText(a) : a));
        // logger.error(err): pino would take the message from the error unscrubbed.
        if (out[0] instanceof Error) {
          const err = out[0];
          out[0] = { err };
          if (typeof out[1] !== 'string') out.splice(1, 0, scrubText(err.message));
        }
        method.apply(this, out as Parameters<typeof method>);
      },
    },
    // Errors are reduced by the formatter above (type, code, message); pino's serializer would add the stack back.
    serializers: { err: (e: unknown) => e },
    // The usual places, in case a caller logs a request or a response as it is (pino's own redaction).
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie'],
      censor: REDACTED,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = pino.Logger;

export const REDACTED = '[redacted]';

/** Field names whose values are secrets or contact details, whatever their content. */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api_?key|token|.*_token|.*Token|token_?hash|tokenHash|password|.*_password|.*Password|password_?hash|passwordHash|confirm|secret|.*Secret|csrf|_csrf|email|emails|.*_email|.*Email|phone|.*_phone|.*Phone|mobile|stack|stackTrace|stack_trace)$/;

const TEXT_PATTERNS: [RegExp, string][] = [
  [/\bBearer\s+[^\s"',;]+/gi, `Bearer ${REDACTED}`],
  [/\bpgn_[A-Za-z0-9_-]+/g, `pgn_${REDACTED}`],
  // One-time console links and other path or query tokens: /console/invite/<token>, ?token=..., password=...
  [/(\/invite\/)[^/?#\s"']+/g, `$1${REDACTED}`],
  [/([?&](?:token|password|key|secret|email|phone)=)[^&#\s"']*/gi, `$1${REDACTED}`],
  [/[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g, '[email]'],
  [/(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])/g, '[phone]'],
  [/(?<![0-9A-Za-z-])0[0-9]{2,3}-[0-9]{7,8}(?![0-9])/g, '[phone]'],
  // Stack frames that ended up inside a message.
  [/\n\s+at [^\n]*/g, ''],
];

export function scrubText(s: string): string {
  let out = s;
  for (const [re, by] of TEXT_PATTERNS) out = out.replace(re, by);
  return out;
}

function scrubValue(v: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return scrubText(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v) || depth > 8) return '[…]';
  seen.add(v);
  if (v instanceof Error) {
    const e = v as Error & { code?: unknown; type?: unknown; cause?: unknown };
    return {
      type: e.name || e.constructor?.name,
      message: scrubText(String(e.message ?? '')),
      ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
      ...(e.cause instanceof Error ? { cause: scrubValue(e.cause, depth + 1, seen) } : {}),
    };
  }
  if (v instanceof Date) return v;
  if (Buffer.isBuffer(v)) return `[${v.length} bytes]`;
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) && x !== null && x !== undefined && x !== '' ? REDACTED : scrubValue(x, depth + 1, seen);
  return out;
}
