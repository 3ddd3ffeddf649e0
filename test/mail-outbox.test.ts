import { reportDebtDispute, startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Mail is off the staff's path (workflows/mailroom.ts): an action answers once the register and audit are written,
 * whatever the mail server does; the notice is delivered afterwards, once, and a recipient the server refuses for good
 * ends `failed` with its reason instead of being retried for ever. Real SMTP (test/smtp.ts), real Temporal, PostgreSQL.
 */
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  sys.smtp.setMode('accept');
  await sys?.stop();
});

async function openCase(where: ReturnType<typeof uniqueVillage>) {
  const { id, med } = await reportDebtDispute(sys, where);
  expect((await sys.call('POST', `/api/v1/mediations/${id}/accept`, { token: med.token, body: {} })).status).toBe(200);
  return { id, med };
}

async function outboxRows(key: string) {
  const r = await sys.db.query<{ recipient: string; status: string; attempts: number; last_error: string | null }>(
    'SELECT recipient, status, attempts, last_error FROM mail_outbox WHERE key = $1 ORDER BY recipient',
    [key],
  );
  return r.rows;
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const mode of ['refuse', 'stall'] as const) {
  test(`with the mail server ${mode === 'refuse' ? 'refusing (421)' : 'stalled (no greeting)'}, a staff action answers within 2 s and its notice arrives once after the server recovers`, async () => {
    const where = uniqueVillage('邮件');
    const { id, med } = await openCase(where);
    const colleague = await sys.user('mediator', where.village, { level: 'village' });

    sys.smtp.setMode(mode);
    const started = Date.now();
    const assigned = await sys.call('POST', `/api/v1/mediations/${id}/assign`, { token: med.token, body: { mediatorIds: [colleague.id] } });
    const took = Date.now() - started;
    expect(assigned.status).toBe(200);
    expect(assigned.body.assignees.map((a: { id: string }) => a.id)).toContain(colleague.id);
    expect(took).toBeLessThan(2000);

    // The notice is in the outbox, pending, while the server is down.
    const key = `${id}:${assigned.body.timeline.at(-1).seq}:mediation/assigned`;
    expect((await outboxRows(key)).map((r) => [r.recipient, r.status])).toEqual([[colleague.email, 'pending']]);
    await new Promise((r) => setTimeout(r, 2500));
    expect(sys.smtp.messages.filter((m) => m.to.includes(colleague.email))).toHaveLength(0);

    sys.smtp.setMode('accept');
    await sys.smtp.waitFor((m) => m.to.includes(colleague.email) && m.subject.includes(id), 30_000);
    const rows = await until(() => outboxRows(key), (r) => r[0]?.status === 'sent');
    expect(rows[0].status).toBe('sent');
    if (mode === 'refuse') expect(rows[0].attempts).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sys.smtp.messages.filter((m) => m.to.includes(colleague.email) && m.subject.includes(id))).toHaveLength(1);
  });
}

test('a recipient refused with 550 ends failed with the reason after one attempt, and the process goes on', async () => {
  const where = uniqueVillage('退信');
  const { id, med } = await openCase(where);
  const gone = await sys.user('mediator', where.village, { level: 'village' });
  const colleague = await sys.user('mediator', where.village, { level: 'village' });
  sys.smtp.rejected.add(gone.email);

  const assigned = await sys.call('POST', `/api/v1/mediations/${id}/assign`, { token: med.token, body: { mediatorIds: [gone.id, colleague.id] } });
  expect(assigned.status).toBe(200);
  const key = `${id}:${assigned.body.timeline.at(-1).seq}:mediation/assigned`;
  const rows = await until(() => outboxRows(key), (r) => r.length === 2 && r.every((x) => x.status !== 'pending'));
  const byRecipient = Object.fromEntries(rows.map((r) => [r.recipient, r]));
  expect(byRecipient[gone.email]).toMatchObject({ status: 'failed', attempts: 1 });
  expect(byRecipient[gone.email].last_error).toMatch(/^SMTP 550/);
  expect(byRecipient[colleague.email]).toMatchObject({ status: 'sent', attempts: 1 });

  // The case goes on: the next action is taken and the case completes, its notices delivered or failed, none pending.
  const agreed = await sys.call('POST', `/api/v1/mediations/${id}/agreement`, { token: med.token, body: { form: 'oral', terms: '分三期还清', parties: ['甲', '乙'] } });
  expect(agreed.status).toBe(200);
  const done = await sys.call('POST', `/api/v1/mediations/${id}/follow-up`, { token: med.token, body: { performed: true, notes: '已还清' } });
  expect(done.status).toBe(200);
  await sys.client.workflow.getHandle(id).result();
  const pending = await sys.db.query(`SELECT key FROM mail_outbox WHERE key LIKE $1 || ':%' AND status = 'pending'`, [id]);
  expect(pending.rows).toEqual([]);
});

test('a lean case schedules no delivery activity: the outbox relay of the worker delivers its notices', async () => {
  const where = uniqueVillage('中继');
  const { id, med } = await openCase(where);
  await sys.smtp.waitFor((m) => m.to.includes(med.email) && m.subject.includes(id), 30_000);
  const rows = await until(
    () => sys.db.query<{ status: string; relayed: boolean }>(`SELECT status, next_attempt_at IS NOT NULL AS relayed FROM mail_outbox WHERE key LIKE $1 || ':%'`, [id]),
    (r) => r.rows.length > 0 && r.rows.every((x) => x.status === 'sent'),
  );
  expect(rows.rows.length).toBeGreaterThan(0);
  expect(rows.rows.every((r) => r.status === 'sent' && r.relayed)).toBe(true);
  const history = await sys.client.workflow.getHandle(id).fetchHistory();
  const activities = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
  expect(activities.length).toBeGreaterThan(0); // its register writes
  expect(activities.filter((name) => name === 'deliverNotice' || name === 'giveUpNotice')).toEqual([]);
});
