import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTemplates, oneHeaderLine } from '../activities/templates';
import { createUser, mailHeaderRefusal } from '../platform/users';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * No mail header can be injected (issue 11): CR/LF in any name, subject or address that reaches a header is refused at
 * input (400) or neutralised, and the mail received over real SMTP carries no header or recipient that was not meant.
 */
const INJECT = '\r\nBcc: evil@attacker.example.cn\r\nX-Injected: yes';
let sys: TestSystem;
const where = uniqueVillage('邮件');

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const noInjection = () => {
  for (const m of sys.smtp.messages) {
    expect(m.to).not.toContain('evil@attacker.example.cn');
    for (const line of m.headerLines) expect(line).not.toMatch(/^(bcc|x-injected)\s*:/i);
  }
};

test('a member whose name or address carries a line break is refused with 400, by the API and by platform/users.ts', async () => {
  for (const body of [
    { name: `王网格${INJECT}`, email: 'wang@example.cn' },
    { name: '王网格', email: `wang@example.cn${INJECT}` },
    { name: '王网格', email: 'wang@example.cn\nBcc: evil@attacker.example.cn' },
    { name: '王网格', email: '"wang\r\nBcc: evil"@example.cn' },
  ]) {
    const r = await sys.call('POST', '/api/v1/users', { token: sys.adminToken, body: { ...body, role: 'grid_worker', area: where.village } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(mailHeaderRefusal(body)).toBeDefined();
  }
  const admin = { id: 'admin', name: '系统管理员', email: 'admin@pingan.local', role: 'admin' as const, area: '*' };
  await expect(createUser(sys.db, { name: '王', email: `wang@example.cn${INJECT}`, role: 'grid_worker', area: where.village }, admin)).rejects.toThrow(/single plain mail address/);
  const stored = await sys.db.query(`SELECT count(*)::int AS n FROM users WHERE email LIKE '%attacker%' OR name LIKE '%Bcc%'`);
  expect(stored.rows[0].n).toBe(0);
});

test('addresses of parties, petitioners and objectors with a line break are refused with 400', async () => {
  const grid = await sys.user('grid_worker', where.village);
  const officer = await sys.user('petition_officer', where.county);
  const med = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: { category: 'neighbourhood', summary: '排水沟争执', area: where.village, channel: 'grid', parties: [{ name: '张三', role: 'applicant', email: `z3@example.cn${INJECT}` }] },
  });
  expect(med.status).toBe(400);
  const pet = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: '张上访', email: `p@example.cn${INJECT}` }, subject: '宅基地', content: '占用', channel: 'visit', area: where.village },
  });
  expect(pet.status).toBe(400);
  const obj = await sys.call('POST', '/api/v1/notices/NOTICE-none/objections', { body: { name: '村民', text: '异议内容', email: `v@example.cn${INJECT}` } });
  expect(obj.status).toBe(400);
  expect(obj.body.error.message).toMatch(/^email/);
});

test('a subject, names and summary with CRLF reach the mail as one header line over real SMTP; no Bcc, no extra header, no extra recipient', async () => {
  const officer = await sys.user('petition_officer', where.county, { name: '刘信访' });
  const grid = await sys.user('grid_worker', where.village, { name: '王网格' });
  const mediator = await sys.user('mediator', where.village, { level: 'village', name: '李调解' });
  const pet = await sys.call('POST', '/api/v1/petitions', {
    token: officer.token,
    body: { petitioner: { name: `张上访${INJECT}`, email: 'petitioner@example.cn' }, subject: `宅基地纠纷${INJECT}`, content: `占用${INJECT}`, channel: 'visit', area: where.village },
  });
  expect(pet.status).toBe(201);
  const petMail = await sys.smtp.waitFor((m) => m.subject.includes(pet.body.id));
  expect(petMail.subject).toContain('宅基地纠纷 Bcc: evil@attacker.example.cn X-Injected: yes');
  expect(petMail.headerLines.filter((l) => /^subject:/i.test(l))).toHaveLength(1);

  const med = await sys.call('POST', '/api/v1/mediations', {
    token: grid.token,
    body: {
      category: 'neighbourhood', summary: `排水沟${INJECT}`, area: where.village, channel: 'grid',
      parties: [{ name: `张三${INJECT}`, role: 'applicant', email: 'z3-party@example.cn' }, { name: `李四${INJECT}`, role: 'respondent' }],
    },
  });
  expect(med.status).toBe(201);
  await sys.smtp.waitFor((m) => m.subject.includes(med.body.id) && m.to.includes(mediator.email));
  // The outcome goes to the party's address, with the parties' names in the body.
  expect((await sys.call('POST', `/api/v1/mediations/${med.body.id}/accept`, { token: mediator.token, body: {} })).status).toBe(200);
  const agreed = await sys.call('POST', `/api/v1/mediations/${med.body.id}/agreement`, {
    token: mediator.token,
    body: { form: 'written', terms: `平摊${INJECT}`, parties: [`张三${INJECT}`.trim(), `李四${INJECT}`.trim()] },
  });
  expect(agreed.status).toBeLessThan(500);
  if (agreed.status === 200) await sys.smtp.waitFor((m) => m.to.includes('z3-party@example.cn'));
  expect(sys.smtp.messages.length).toBeGreaterThanOrEqual(3);
  noInjection();
});

test('the renderer puts every subject on one header line, whatever the data carries', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-tpl-'));
  fs.writeFileSync(path.join(dir, 'x.hbs'), 'Subject: 【平安】{{title}}（{{id}}）\n\n正文 {{title}}\n');
  const render = loadTemplates(dir);
  const r = render('x', { title: `硬化主街${INJECT}\u2028X-Other: 1\u0085`, id: 'V-1' });
  expect(r.subject).toBe('【平安】硬化主街 Bcc: evil@attacker.example.cn X-Injected: yes X-Other: 1 （V-1）');
  expect(r.subject).not.toMatch(/[\r\n\u2028\u0085]/);
  expect(r.text).toContain('\r\nBcc:'); // the body is not a header: the text stays as written
  expect(oneHeaderLine('a\r\n\r\nb\n')).toBe('a b');
  fs.rmSync(dir, { recursive: true, force: true });
});
