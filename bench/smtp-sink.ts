/**
 * The mail benchmark's SMTP server (bench/mail.ts): a real SMTP server (the `smtp-server` package, as the tests'),
 * in a process of its own so that its CPU is counted apart from the sender's. It answers 250 to every message once
 * its data has arrived, and keeps nothing.
 */
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => callback());
  },
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`SMTP listening on 127.0.0.1:${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
