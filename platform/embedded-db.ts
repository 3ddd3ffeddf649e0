import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from './logger';

/**
 * The embedded default database: PGlite (PostgreSQL compiled to WebAssembly) stored under the data directory and
 * served over the PostgreSQL wire protocol on 127.0.0.1, so the application uses the very same `pg` pool, SQL and
 * migrations as with a real server. It serialises queries and keeps each transaction to its own connection.
 *
 * pglite-socket has no authentication (PGlite accepts any user and password), so it listens on a Unix socket in a
 * directory only this account can enter, and the TCP port clients use is a front here that asks for the password kept
 * in DATA_DIR/pglite-password (mode 0600, generated on first start) before it joins the two.
 */
export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;

/** The embedded database's password, created once beside its data (mode 0600). */
export function embeddedDbPassword(dir: string): string {
  const file = `${path.resolve(dir)}-password`;
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();

/** An ErrorResponse message: severity FATAL, SQLSTATE code, message. */
function fatal(code: string, message: string): Buffer {
  const fields = Buffer.concat([Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0`, 'utf8'), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

/**
 * Reads the client's start-up packet (answering SSL and GSS encryption requests with "no"), asks for a cleartext
 * password (the connection never leaves the machine), and hands the start-up packet and anything after it on once the
 * password matches; otherwise answers 28P01 and closes.
 */
function passwordFront(socket: net.Socket, password: string, onAuthenticated: (initial: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  let startup: Buffer | undefined;
  const expected = digest(password);
  const timer = setTimeout(() => socket.destroy(), 10_000);
  const fail = (code: string, message: string) => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.end(fatal(code, message));
  };
  function onData(chunk: Buffer) {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (!startup) {
        if (buf.length < 8) return;
        const len = buf.readInt32BE(0);
        const code = buf.readInt32BE(4);
        if (len < 8 || len > 10_000) return fail('08P01', 'invalid start-up packet');
        if (buf.length < len) return;
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          socket.write('N');
          buf = buf.subarray(len);
          continue;
        }
        if (code !== PROTOCOL_3) return fail('08P01', 'unsupported start-up packet (protocol 3.0 only; cancel requests are not supported)');
        startup = buf.subarray(0, len);
        buf = buf.subarray(len);
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
        continue;
      }
      if (buf.length < 5) return;
      if (buf[0] !== 0x70) return fail('08P01', 'expected a password message');
      const len = buf.readInt32BE(1);
      if (len < 5 || len > 1_000) return fail('08P01', 'invalid password message');
      if (buf.length < 1 + len) return;
      const given = buf.subarray(5, len); // the password without its closing NUL
      const rest = buf.subarray(1 + len);
      if (!timingSafeEqual(digest(given), expected)) return fail('28P01', 'password authentication failed');
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      onAuthenticated(Buffer.concat([startup, rest]));
      return;
    }
  }
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

export async function startEmbeddedDb(dir: string, logger: Logger, port = 0): Promise<EmbeddedDb> {
  fs.mkdirSync(dir, { recursive: true });
  const password = embeddedDbPassword(dir);
  const db = await PGlite.create(path.resolve(dir));
  // mkdtemp creates the directory with mode 0700: other accounts cannot reach the unauthenticated socket inside.
  const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-pglite-'));
  const inner = path.join(privateDir, '.s.PGSQL');
  const server = new PGLiteSocketServer({ db, path: inner, maxConnections: 16 });
  await server.start();

  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    passwordFront(socket, password, (initial) => {
      const backend = net.connect(inner, () => {
        backend.write(initial);
        socket.pipe(backend);
        backend.pipe(socket);
        socket.resume();
      });
      sockets.add(backend);
      backend.once('close', () => {
        sockets.delete(backend);
        socket.destroy();
      });
      backend.on('error', () => backend.destroy());
      socket.once('close', () => backend.destroy());
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, '127.0.0.1', () => resolve());
  });
  const address = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
  const url = `postgres://postgres:${password}@${address}/postgres?sslmode=disable`;
  logger.info({ dir, address }, 'embedded database (PGlite) started');
  return {
    url,
    async stop() {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await server.stop();
      await db.close();
      fs.rmSync(privateDir, { recursive: true, force: true });
    },
  };
}
