import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server in the test process: every message the system sends over SMTP lands here. */
export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  /** The message's header lines as received (folded lines joined), to check that nothing was injected. */
  headerLines: string[];
}

export interface SmtpReceiver {
  url: string;
  messages: ReceivedMail[];
  /** 'accept' (the default); 'refuse': 421 at every connection and at the next message of an open one; 'stall': no
   *  greeting, and no answer to an open connection's next message, until the mode changes back. */
  setMode(mode: 'accept' | 'refuse' | 'stall'): void;
  /** Addresses answered with 550 (no such mailbox) at RCPT TO. */
  rejected: Set<string>;
  /**
   * Waits this long after a message's data before answering 250 (a slow server). A message counts as received only
   * once answered: one whose sender went away meanwhile (connection closed) is dropped, as the sender saw no 250.
   */
  setDelay(ms: number): void;
  /** Messages whose data has arrived and that are not answered yet. */
  readonly answering: number;
  /** Connections opened so far. */
  readonly connections: number;
  waitFor(pred: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  let mode: 'accept' | 'refuse' | 'stall' = 'accept';
  let stalled: (() => void)[] = [];
  const rejected = new Set<string>();
  let delayMs = 0;
  let answering = 0;
  let connections = 0;
  const closed = new Set<string>();
  const reply = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      if (mode === 'refuse') callback(reply(421, 'service not available, try again later'));
      else if (mode === 'stall') stalled.push(() => callback());
      else callback();
    },
    // A server that starts refusing or stalls does so on the connections it already has too (a sender that pools its
    // connections meets it at its next message): 421 closes the connection; a stalled one answers once it recovers.
    onMailFrom(_address, _session, callback) {
      if (mode === 'refuse') callback(reply(421, 'service not available, closing transmission channel'));
      else if (mode === 'stall') stalled.push(() => callback());
      else callback();
    },
    onRcptTo(address, _session, callback) {
      callback(rejected.has(address.address) ? reply(550, `no such mailbox: ${address.address}`) : undefined);
    },
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (delayMs > 0) {
            answering += 1;
            await new Promise((r) => setTimeout(r, delayMs));
            answering -= 1;
            if (closed.has(session.id)) return callback(new Error('sender gone before the answer'));
          }
          messages.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            messageId: mail.messageId ?? '',
            headerLines: mail.headerLines.map((h) => h.line),
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as import('node:net').AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rejected,
    setDelay(ms) {
      delayMs = ms;
    },
    get answering() {
      return answering;
    },
    get connections() {
      return connections;
    },
    setMode(next) {
      mode = next;
      if (next !== 'stall') {
        const waiting = stalled;
        stalled = [];
        for (const go of waiting) go();
      }
    },
    async waitFor(pred, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = messages.find(pred);
        if (m) return m;
        if (Date.now() > end) throw new Error(`no matching mail within ${timeoutMs} ms; received: ${messages.map((x) => x.subject).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
