import http from 'node:http';
import express from 'express';
import { errorHandler } from '../api/errors';
import { createLogger } from '../platform/logger';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Logs never carry secrets or contact details, and error answers never carry stack traces (issue 11): the whole log
 * stream of a run that signs in to the console, uses tokens and registers a petition is captured at debug level and
 * searched for every secret the run handled.
 */
const lines: string[] = [];
const capture = { write: (s: string) => void lines.push(s) };
let sys: TestSystem;
const where = uniqueVillage('日志');
const secrets: Record<string, string> = {};

/** A console form: its CSRF field and the cookies the page set. */
async function form(url: string, cookie = ''): Promise<{ csrf: string; cookie: string }> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} });
  const html = await res.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error(`no CSRF field on ${url} (${res.status})`);
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]);
  return { csrf, cookie: [cookie, ...set].filter(Boolean).join('; ') };
}

async function post(url: string, cookie: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

beforeAll(async () => {
  sys = await startTestSystem({ logger: createLogger('debug', 'test', capture) });
});
afterAll(async () => {
  await sys?.stop();
});

test('a run that signs in, uses tokens and registers a petition leaves no token, password, contact detail or stack in the log', async () => {
  secrets.adminToken = sys.adminToken;
  const email = `officer-${Date.now()}@test.pingan.cn`;
  const created = await sys.call('POST', '/api/v1/users', {
    token: sys.adminToken,
    body: { name: '刘信访', email, role: 'petition_officer', area: where.county },
  });
  expect(created.status).toBe(201);
  secrets.memberEmail = email;
  secrets.memberToken = created.body.token;
  const invitation: string = created.body.invitation.url;
  secrets.invitation = invitation.split('/invite/')[1];

  // The console: the invitation sets a password, then a sign-in with a wrong and the right password.
  const password = 'Geheim-密码-2026-nicht-loggen';
  secrets.password = password;
  const inv = await form(invitation);
  const set = await post(invitation, inv.cookie, { _csrf: inv.csrf, password, confirm: password });
  expect(set.status).toBe(303);
  const signInUrl = `${sys.url}/console/sign-in`;
  const a = await form(signInUrl);
  expect((await post(signInUrl, a.cookie, { _csrf: a.csrf, email, password: 'falsch-Passwort-123' })).status).toBe(401);
  const b = await form(signInUrl);
  const signedIn = await post(signInUrl, b.cookie, { _csrf: b.csrf, email, password });
  expect(signedIn.status).toBe(303);
  const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('pingan_console='))!.split(';')[0].split('=')[1];
  secrets.session = session;
  expect((await fetch(`${sys.url}/console`, { headers: { cookie: `pingan_console=${session}` } })).status).toBe(200);

  // The API with the member's token, a wrong token and a token in a query string.
  expect((await sys.call('GET', '/api/v1/users/me', { token: secrets.memberToken })).status).toBe(200);
  expect((await sys.call('GET', '/api/v1/users/me', { token: 'pgn_not-a-real-token-but-still-secret' })).status).toBe(401);
  expect((await sys.call('GET', `/api/v1/petitions?token=${secrets.memberToken}`, { token: secrets.memberToken })).status).toBeLessThan(500);

  // A petition with the petitioner's phone and mail address; its notices go out by mail.
  const phone = '13812345678';
  const petitionerEmail = 'zhang.petitioner@example.cn';
  secrets.phone = phone;
  secrets.petitionerEmail = petitionerEmail;
  const p = await sys.call('POST', '/api/v1/petitions', {
    token: secrets.memberToken,
    body: { petitioner: { name: '张上访', phone, email: petitionerEmail }, subject: '宅基地纠纷', content: '邻居占用宅基地', channel: 'visit', area: where.village },
  });
  expect(p.status).toBe(201);
  await sys.smtp.waitFor((m) => m.subject.includes(p.body.id));
  // Refusals that carry the secrets in their input.
  expect((await sys.call('POST', '/api/v1/petitions', { token: secrets.memberToken, body: `{"petitioner":{"phone":"${phone}"` })).status).toBe(400);
  expect((await sys.call('POST', '/api/v1/petitions', { token: secrets.memberToken, body: { petitioner: { name: 'x', phone, email: petitionerEmail }, subject: 'x' } })).status).toBe(400);
  await new Promise((r) => setTimeout(r, 1000));

  const log = lines.join('');
  // The capture saw the run (else the search below proves nothing).
  expect(log).toContain('"path":"/api/v1/petitions"');
  expect(log).toContain('/console/invite/[redacted]');
  for (const [what, value] of Object.entries(secrets)) {
    if (log.includes(value)) throw new Error(`the log carries the ${what}: ${log.split('\n').find((l) => l.includes(value))}`);
  }
  expect(log).not.toMatch(/\bBearer\s+(?!\[redacted\])/);
  expect(log).not.toMatch(/"stack"|\\n\s+at /);
});

test('an unhandled error answers 500 without its stack or message, and its log line has neither stack nor contact details', async () => {
  const before = lines.length;
  const app = express();
  const logger = createLogger('debug', 'test', capture);
  app.use((req, _res, next) => {
    req.log = logger;
    next();
  });
  app.get('/boom', () => {
    throw new Error('insert failed for li.si@example.cn, phone 13912345678');
  });
  app.use(errorHandler);
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/boom`);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error; see the server log' } });
    expect(text).not.toMatch(/at |stack|example\.cn/);
  } finally {
    server.close();
  }
  const logged = lines.slice(before).join('');
  expect(logged).toContain('unhandled error');
  expect(logged).toContain('insert failed for [email], phone [phone]');
  expect(logged).not.toMatch(/"stack"|\\n\s+at |li\.si@|13912345678/);
});
