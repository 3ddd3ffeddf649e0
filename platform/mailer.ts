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

/** Real SMTP when SMTP_URL is set; otherwise every message becomes an .eml file in the outbox folder. */
export function createMailer(opts: { smtpUrl?: string; outboxDir: string; logger: Logger }): Mailer {
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport(opts.smtpUrl);
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
