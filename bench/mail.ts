import nodemailer from 'nodemailer';
import { createLogger } from '../platform/logger';
import { createMailer, SMTP_TIMEOUTS, type OutgoingMail } from '../platform/mailer';
import { RELAY_CONCURRENCY } from '../worker/relay';
import { num, type Benchmark } from './context';
import { log, ratio, spreadOf, spreadText, tag, treeCpuSeconds } from './lib';

/**
 * Mail: the outbox relay's sends through Pingan's mailer (platform/mailer.ts, pooled SMTP connections) against
 * nodemailer's default transport, one connection per mail (what Pingan used until 8 December), both to a real SMTP
 * server in a process of its own (bench/smtp-sink.ts), with the relay's concurrency. CPU of the sending process (this
 * one, otherwise idle meanwhile) and of the server per mail, and mails per second; `--rounds` alternates which goes
 * first. No Temporal here: the baseline is the transport Pingan replaced.
 */
const MAIL = (i: number, run: string): OutgoingMail => ({
  from: '平安 Pingan <noreply@pingan.local>',
  to: `mediator-${i}@bench.cn`,
  subject: `新的纠纷待受理：MED-${run}${String(i).padStart(6, '0')}`,
  text: `您好：\n\n${'村民反映邻里宅基地纠纷，请在受理期限内登录平安系统受理。'.repeat(6)}\n\n平安 Pingan`,
  messageId: `<${run}-${i}@pingan>`,
});

export const mail: Benchmark = {
  name: 'mail',
  describe: `Pingan's pooled SMTP against a connection per mail, ${RELAY_CONCURRENCY} sends at once to a real SMTP server`,
  async run(ctx) {
    const n = num(ctx, 'mails', 600);
    const rounds = num(ctx, 'rounds', 3);
    const sink = await ctx.b.smtpSink();
    const pingan = createMailer({ smtpUrl: sink.url, outboxDir: '/tmp', logger: createLogger('silent') });
    const perMail = nodemailer.createTransport({ url: sink.url, ...SMTP_TIMEOUTS } as Parameters<typeof nodemailer.createTransport>[0]);
    const sides = {
      pingan: (m: OutgoingMail) => pingan.send(m),
      perConnection: async (m: OutgoingMail) => void (await perMail.sendMail(m)),
    };
    type Side = keyof typeof sides;
    const measure = async (side: Side) => {
      const run = tag();
      for (let i = 0; i < 20; i++) await sides[side](MAIL(-1 - i, run)); // warm-up: connections, JIT
      const cpu0 = process.cpuUsage();
      const sink0 = treeCpuSeconds(sink.proc.child.pid);
      const t0 = performance.now();
      let next = 0;
      await Promise.all([...Array(RELAY_CONCURRENCY)].map(async () => {
        while (next < n) await sides[side](MAIL(next++, run));
      }));
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      return {
        perSecond: Math.round((n / seconds) * 10) / 10,
        senderCpuMsPerMail: Math.round(((c.user + c.system) / 1000 / n) * 100) / 100,
        serverCpuMsPerMail: Math.round(((treeCpuSeconds(sink.proc.child.pid) - sink0) * 1000 / n) * 100) / 100,
      };
    };
    const each: { pingan: Awaited<ReturnType<typeof measure>>; perConnection: Awaited<ReturnType<typeof measure>> }[] = [];
    try {
      for (let r = 0; r < rounds; r++) {
        const order: Side[] = r % 2 ? ['pingan', 'perConnection'] : ['perConnection', 'pingan'];
        const got = {} as (typeof each)[number];
        for (const side of order) got[side] = await measure(side);
        each.push(got);
        log(`  round ${r + 1} of ${rounds}: pooled ${got.pingan.perSecond}/s, ${got.pingan.senderCpuMsPerMail} ms CPU per mail; `
          + `a connection per mail ${got.perConnection.perSecond}/s, ${got.perConnection.senderCpuMsPerMail} ms`);
      }
    } finally {
      pingan.close();
      perMail.close();
      await sink.proc.stop();
    }
    const median = (pick: (e: (typeof each)[number]) => number) => spreadOf(each.map(pick)).median;
    const throughput = spreadOf(each.map((e) => ratio(e.pingan.perSecond, e.perConnection.perSecond)));
    const senderCpu = spreadOf(each.map((e) => ratio(e.perConnection.senderCpuMsPerMail, e.pingan.senderCpuMsPerMail)));
    return {
      figures: { mails: n, rounds, concurrency: RELAY_CONCURRENCY, each, ratios: { throughput, senderCpu } },
      table: [
        ['measure', 'Pingan (pooled)', 'a connection per mail', 'ratio'],
        ['mails per second (median round)', median((e) => e.pingan.perSecond), median((e) => e.perConnection.perSecond), spreadText(throughput)],
        ['sender CPU ms per mail', median((e) => e.pingan.senderCpuMsPerMail), median((e) => e.perConnection.senderCpuMsPerMail), `${spreadText(senderCpu)} (fewer ms: higher)`],
        ['SMTP server CPU ms per mail', median((e) => e.pingan.serverCpuMsPerMail), median((e) => e.perConnection.serverCpuMsPerMail), ''],
      ],
    };
  },
};
