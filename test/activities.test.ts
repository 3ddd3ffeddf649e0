import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import { loadTemplates } from '../activities/templates';
import { openMediation, applyMediationAction, type ActingStaff } from '../domain/mediation';
import { applyPetitionAction, registerPetition } from '../domain/petition';
import { DEFAULT_POLICY } from '../domain/policy';
import { applyVillageAction, openVillageMatter, type VillageStaff } from '../domain/village';
import { createPool, migrate, type Db } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { freePort } from '../platform/net';
import { countingPool } from './counting-pool';
import { uniqueVillage } from './harness';
import { startSmtpReceiver, type SmtpReceiver } from './smtp';

/** Activities are idempotent: a retry writes no second row and sends no second mail (real PostgreSQL and SMTP). */
let db: Db;
let smtp: SmtpReceiver;
const env = new MockActivityEnvironment();
const logger = createLogger('silent');
const where = uniqueVillage('幂等');

beforeAll(async () => {
  db = createPool(process.env.TEST_DATABASE_URL!);
  await migrate(db);
  smtp = await startSmtpReceiver();
  await db.query(
    `INSERT INTO users (id, name, email, role, level, area, token_hash) VALUES
       ($1, '周调解', 'zhou@test.pingan.cn', 'mediator', 'village', $2, $3)`,
    [`u_${where.county}`, where.village, `hash-${where.county}`],
  );
});
afterAll(async () => {
  await db.end();
  await smtp.stop();
});

const c0 = () =>
  openMediation({
    caseId: `MED-${Date.now().toString(16).toUpperCase().padStart(12, '0').slice(-12)}`,
    category: 'family', summary: '赡养纠纷', area: where.village, channel: 'hotline',
    parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
    reportedBy: { id: 'g', name: '网格员', role: 'grid_worker' }, reportedAt: Date.now(), policy: DEFAULT_POLICY,
  }).case;

test('a notice retried after it was sent is not sent again; one that failed is sent on retry', async () => {
  const render = loadTemplates();
  const c = c0();
  const input = {
    key: `${c.id}:assigned:village`,
    template: 'mediation/new-case',
    recipients: { kind: 'mediators' as const, area: where.village, level: 'village' as const },
    data: { case: c, channelName: '热线电话' },
  };
  // First attempt: the SMTP server is unreachable, so the activity fails and the row stays pending.
  const down = createMailer({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, outboxDir: '/tmp', logger });
  const failing = createActivities({ db, mailer: down, render, mailFrom: 'pingan@test.cn' });
  await expect(env.run(failing.notify, input)).rejects.toThrow();
  const pending = await db.query('SELECT status FROM mail_outbox WHERE key = $1', [input.key]);
  expect(pending.rows).toEqual([{ status: 'pending' }]);

  const up = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
  const acts = createActivities({ db, mailer: up, render, mailFrom: 'pingan@test.cn' });
  expect(await env.run(acts.notify, input)).toEqual({ sent: 1, skipped: 0 });
  expect(await env.run(acts.notify, input)).toEqual({ sent: 0, skipped: 1 });
  expect(await env.run(acts.notify, input)).toEqual({ sent: 0, skipped: 1 });
  await smtp.waitFor((m) => m.subject.includes(c.id));
  await new Promise((r) => setTimeout(r, 300));
  const got = smtp.messages.filter((m) => m.subject.includes(c.id));
  expect(got).toHaveLength(1);
  expect(got[0].to).toEqual(['zhou@test.pingan.cn']);
  expect(got[0].subject).toBe(`【平安】新纠纷待受理：婚姻家庭纠纷（${c.id}）`);
  down.close();
  up.close();
});

test('a transition recorded twice writes one audit row; an older snapshot never overwrites a newer one', async () => {
  const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
  const acts = createActivities({ db, mailer, render: loadTemplates(), mailFrom: 'pingan@test.cn' });
  const opened = c0();
  const mediator: ActingStaff = { id: 'm', name: '周调解', role: 'mediator', area: where.village, level: 'village' };
  const { next: accepted, event } = applyMediationAction(opened, { type: 'accept', actor: mediator }, Date.now(), DEFAULT_POLICY);
  await env.run(acts.recordMediation, { snapshot: opened, event: opened.timeline[0] });
  await env.run(acts.recordMediation, { snapshot: accepted, event });
  await env.run(acts.recordMediation, { snapshot: accepted, event }); // a retry
  await env.run(acts.recordMediation, { snapshot: opened, event: opened.timeline[0] }); // a late, older retry
  const audit = await db.query('SELECT seq, action, actor_id FROM audit_events WHERE case_id = $1 ORDER BY seq', [opened.id]);
  expect(audit.rows).toEqual([
    { seq: 1, action: 'opened', actor_id: 'g' },
    { seq: 2, action: 'accepted', actor_id: 'm' },
  ]);
  const row = await db.query('SELECT status, version FROM cases WHERE id = $1', [opened.id]);
  expect(row.rows[0]).toEqual({ status: 'in_mediation', version: 2 });
  mailer.close();
});

test('compact transitions (no timeline in the input): the register appends each event once, in order, whatever order they commit in', async () => {
  const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
  const acts = createActivities({ db, mailer, render: loadTemplates(), mailFrom: 'pingan@test.cn' });
  const opened = c0();
  const mediator: ActingStaff = { id: 'm', name: '周调解', role: 'mediator', area: where.village, level: 'village' };
  const { next: accepted, event: acceptedEvent } = applyMediationAction(opened, { type: 'accept', actor: mediator }, Date.now(), DEFAULT_POLICY);
  const { next: urged, event: sessionEvent } = applyMediationAction(
    accepted, { type: 'recordSession', actor: mediator, heldAt: new Date().toISOString(), summary: '第一次调解' }, Date.now(), DEFAULT_POLICY,
  );
  const compact = ({ timeline: _t, ...rest }: typeof opened) => rest;
  await env.run(acts.recordMediation, { snapshot: compact(opened), event: opened.timeline[0] });
  await env.run(acts.recordMediation, { snapshot: compact(urged), event: sessionEvent }); // the later one commits first
  await env.run(acts.recordMediation, { snapshot: compact(accepted), event: acceptedEvent });
  await env.run(acts.recordMediation, { snapshot: compact(urged), event: sessionEvent }); // a retry
  await env.run(acts.recordMediation, { snapshot: compact(opened), event: opened.timeline[0] }); // a late, older retry
  const row = await db.query('SELECT status, version, snapshot FROM cases WHERE id = $1', [opened.id]);
  expect(row.rows[0].version).toBe(3);
  // The stored case is the workflow's case: the newest fields, and every event once, in sequence.
  expect(row.rows[0].snapshot).toEqual(JSON.parse(JSON.stringify(urged)));
  const audit = await db.query('SELECT seq FROM audit_events WHERE case_id = $1 ORDER BY seq', [opened.id]);
  expect(audit.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
  mailer.close();
});

test('a compact petition transition (no timeline in the input): the register appends each event once, in order, through the same write as mediation', async () => {
  const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
  const acts = createActivities({ db, mailer, render: loadTemplates(), mailFrom: 'pingan@test.cn' });
  const officer = { id: 'po', name: '信访干部', role: 'petition_officer' as const };
  const registered = registerPetition({
    petitionId: `PET-${Date.now().toString(16).toUpperCase().padStart(12, '0').slice(-12)}`, petitioner: { name: '周某' },
    subject: '道路积水', content: '村口道路雨后积水。', channel: 'letter', area: where.township, registeredBy: officer,
    registeredAt: Date.now(), policy: DEFAULT_POLICY,
  }).petition;
  const { next: assigned, event: assignedEvent } = applyPetitionAction(
    registered, { type: 'assign', actor: officer, unit: { name: '县住建局', headName: '赵局长' } }, Date.now(), DEFAULT_POLICY,
  );
  const { next: accepted, event: acceptedEvent } = applyPetitionAction(assigned, { type: 'accept', actor: officer, notice: '受理' }, Date.now(), DEFAULT_POLICY);
  const compact = ({ timeline: _t, ...rest }: typeof registered) => rest;
  await env.run(acts.recordPetition, { snapshot: compact(registered), event: registered.timeline[0] });
  await env.run(acts.recordPetition, { snapshot: compact(accepted), event: acceptedEvent }); // the later one commits first
  await env.run(acts.recordPetition, { snapshot: compact(assigned), event: assignedEvent });
  await env.run(acts.recordPetition, { snapshot: compact(accepted), event: acceptedEvent }); // a retry
  const row = await db.query('SELECT status, version, snapshot FROM cases WHERE id = $1', [registered.id]);
  expect(row.rows[0]).toMatchObject({ status: 'accepted', version: accepted.version });
  expect(row.rows[0].snapshot).toEqual(JSON.parse(JSON.stringify(accepted)));
  const audit = await db.query('SELECT seq, action FROM audit_events WHERE case_id = $1 ORDER BY seq', [registered.id]);
  expect(audit.rows).toEqual([{ seq: 1, action: 'registered' }, { seq: 2, action: 'assigned' }, { seq: 3, action: 'accepted' }]);
  mailer.close();
});

test('a compact village transition (no timeline in the input): the register appends each event once, in order', async () => {
  const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
  const acts = createActivities({ db, mailer, render: loadTemplates(), mailFrom: 'pingan@test.cn' });
  const clerk: VillageStaff = { id: 'vc', name: '村文书', role: 'village_clerk', area: where.village };
  const opened = openVillageMatter({
    matterId: `VIL-${Date.now().toString(16).toUpperCase().padStart(12, '0').slice(-12)}`, type: 'village_rules', title: '修订村规民约',
    description: '修订第三章', area: where.village, openedBy: clerk, openedAt: Date.now(), policy: DEFAULT_POLICY,
  }).matter;
  const ago = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const meeting = { body: 'party_branch' as const, heldAt: ago(60), noticeGivenAt: ago(60 + 11 * 24 * 60), entitled: 5, present: 5, for: 5, against: 0, abstain: 0, minutes: '记录' };
  const { next: met, event: metEvent } = applyVillageAction(opened, { type: 'recordMeeting', actor: clerk, meeting }, Date.now(), DEFAULT_POLICY);
  const compact = ({ timeline: _t, ...rest }: typeof opened) => rest;
  await env.run(acts.recordVillageMatter, { snapshot: compact(met), event: metEvent }); // the later one commits first
  await env.run(acts.recordVillageMatter, { snapshot: compact(opened), event: opened.timeline[0] });
  await env.run(acts.recordVillageMatter, { snapshot: compact(met), event: metEvent }); // a retry
  const row = await db.query('SELECT version, snapshot FROM cases WHERE id = $1', [opened.id]);
  expect(row.rows[0].version).toBe(met.version);
  expect(row.rows[0].snapshot).toEqual(JSON.parse(JSON.stringify(met)));
  const audit = await db.query('SELECT seq FROM audit_events WHERE case_id = $1 ORDER BY seq', [opened.id]);
  expect(audit.rows.map((r) => r.seq)).toEqual(met.timeline.map((e) => e.seq));
  mailer.close();
});

test('round trips: a transition is one statement (two with notices: their recipients, then the write); a delivery two per recipient', async () => {
  const { pool: counted, count: counting } = countingPool();
  const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/tmp', logger });
  const acts = createActivities({ db: counted, mailer, render: loadTemplates(), mailFrom: 'pingan@test.cn' });
  const attempt = new MockActivityEnvironment({ startToCloseTimeoutMs: 120_000, currentAttemptScheduledTimestampMs: Date.now() });
  const opened = c0();
  const mediator: ActingStaff = { id: 'm', name: '周调解', role: 'mediator', area: where.village, level: 'village' };
  const { next: accepted, event: acceptedEvent } = applyMediationAction(opened, { type: 'accept', actor: mediator }, Date.now(), DEFAULT_POLICY);
  const compact = ({ timeline: _t, ...rest }: typeof opened) => rest;
  const key = `${opened.id}:1:mediation/new-case`;
  const outbox = [{ key, template: 'mediation/new-case', recipients: { kind: 'mediators' as const, area: where.village, level: 'village' as const } }];
  try {
    expect(await counting(() => attempt.run(acts.recordMediation, { snapshot: compact(opened), event: opened.timeline[0], outbox }))).toBe(2);
    expect(await counting(() => attempt.run(acts.recordMediation, { snapshot: compact(accepted), event: acceptedEvent }))).toBe(1);
    expect(await counting(() => attempt.run(acts.recordMediation, { snapshot: compact(accepted), event: acceptedEvent }))).toBe(1); // a retry
    expect(await counting(() => attempt.run(acts.deliverNotice, { key }))).toBe(2);
    expect(await counting(() => attempt.run(acts.deliverNotice, { key }))).toBe(1); // a retry: nothing pending
    // Everything the statements replaced is still there, once: the case, its timeline, the audit events, the mail.
    const row = await db.query('SELECT status, version, snapshot FROM cases WHERE id = $1', [opened.id]);
    expect(row.rows[0]).toMatchObject({ status: 'in_mediation', version: 2 });
    expect(row.rows[0].snapshot).toEqual(JSON.parse(JSON.stringify(accepted)));
    const audit = await db.query('SELECT seq, action FROM audit_events WHERE case_id = $1 ORDER BY seq', [opened.id]);
    expect(audit.rows).toEqual([{ seq: 1, action: 'opened' }, { seq: 2, action: 'accepted' }]);
    const mail = await db.query('SELECT recipient, status, attempts FROM mail_outbox WHERE key = $1', [key]);
    expect(mail.rows).toEqual([{ recipient: 'zhou@test.pingan.cn', status: 'sent', attempts: 1 }]);
    await smtp.waitFor((m) => m.subject.includes(opened.id));
    expect(smtp.messages.filter((m) => m.subject.includes(opened.id))).toHaveLength(1);
  } finally {
    mailer.close();
    await counted.end();
  }
});
