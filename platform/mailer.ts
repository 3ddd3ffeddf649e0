import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from './logger';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

export interface Mailer {
  describe: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * How long one SMTP exchange may take: a server that does not answer (a stalled connection, no greeting, a silent
 * socket) fails the send within these bounds instead of holding the delivery activity for ever (nodemailer's own
 * defaults are 2 minutes, 30 seconds and 10 minutes).
 */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;
/** The longest one send can take under SMTP_TIMEOUTS (connection, greeting, then a socket timeout). */
export const SMTP_SEND_BOUND_MS = SMTP_TIMEOUTS.connectionTimeout + SMTP_TIMEOUTS.greetingTimeout + 2 * SMTP_TIMEOUTS.socketTimeout;

/**
 * SMTP connections are pooled (nodemailer's pooled transport): a send takes an open connection instead of opening one
 * (TCP, greeting, EHLO) and closing it (QUIT). Measured by `npm run bench -- mail` (2 cores, a local SMTP server, 4
 * sends at once): 0.8 ms of CPU and 0.9 ms per mail pooled against 2.2 ms and 27 ms with a connection per mail, and a
 * county's mail server sees 4 connections instead of one per notice. `maxConnections` is the outbox relay's
 * concurrency (worker/relay.ts), so a relay's sends never queue for a connection; each connection is renewed after
 * `maxMessages` messages. A connection the server closes or that fails is dropped from the pool and the next send
 * opens a new one, under the same SMTP_TIMEOUTS.
 */
export const SMTP_POOL = { maxConnections: 4, maxMessages: 100 } as const;

/** Real SMTP when SMTP_URL is set; otherwise every message becomes an .eml file in the outbox folder. */
export function createMailer(opts: { smtpUrl?: string; outboxDir: string; logger: Logger }): Mailer {
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport({ url: opts.smtpUrl, pool: true, ...SMTP_POOL, ...SMTP_TIMEOUTS } as Parameters<typeof nodemailer.createTransport>[0]);
    const u = new URL(opts.smtpUrl);
    return {
      describe: `SMTP ${u.hostname}:${u.port || (u.protocol === 'smtps:' ? 465 : 587)}`,
      async send(m) {
        await transport.sendMail(m);
      },
      close: () => transport.close(),
    };
  }
  fs.mkdirSync(opts.outboxDir, { recursive: true });
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  opts.logger.info({ outbox: opts.outboxDir }, 'no SMTP_URL: mail is written as .eml files');
  return {
    describe: `files in ${opts.outboxDir}`,
    async send(m) {
      const info = await transport.sendMail(m);
      const safe = m.messageId.replace(/[^A-Za-z0-9._-]+/g, '_');
      const file = path.join(opts.outboxDir, `${safe}.eml`);
      fs.writeFileSync(file, info.message as Buffer);
      opts.logger.info({ file, to: m.to, subject: m.subject }, 'mail written to outbox');
    },
    close: () => transport.close(),
  };
}

/**
 * Whether a failed send can succeed later. Permanent: the server refused with a 5xx reply (550 no such mailbox, 553
 * bad address, 554 rejected), or nodemailer refused the envelope itself (an invalid address). Everything else (a
 * refused or lost connection, a timeout, a 4xx reply such as 421 or 451) is transient and worth a retry.
 */
export function classifyMailError(err: unknown): { permanent: boolean; reason: string } {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const text = String(e.response ?? e.message ?? err).slice(0, 500);
  if (reply !== undefined && reply >= 500 && reply < 600) return { permanent: true, reason: `SMTP ${reply}: ${text}` };
  if (reply === undefined && e.code === 'EENVELOPE') return { permanent: true, reason: `invalid address: ${text}` };
  return { permanent: false, reason: reply !== undefined ? `SMTP ${reply}: ${text}` : `${String(e.code ?? 'error')}: ${text}` };
}
