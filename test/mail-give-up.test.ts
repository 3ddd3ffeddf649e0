import { randomBytes } from 'node:crypto';
import { HOUR_MS } from '../domain/time';
import { mediationAction, mediationState, mediationWorkflow } from '../workflows/mediation';
import { MAIL_RETRY } from '../workflows/shared';
import { uniqueVillage } from './harness';
import { everyDayWorked, startTimeSkipping, type TimeSkippingWorld } from './time-skipping';

/**
 * Mail is never retried for ever: with the mail server refusing (421) for hours, a notice is tried MAIL_RETRY's
 * bounded number of times by the outbox relay (worker/relay.ts), then marked failed with the reason, and the case goes
 * on. On the time-skipping test server, with the relay of test/time-skipping.ts.
 */
let world: TimeSkippingWorld;
const where = uniqueVillage('放弃');

beforeAll(async () => {
  world = await startTimeSkipping('mail-give-up');
  await world.db.query(
    `INSERT INTO users (id, name, email, role, level, area, token_hash) VALUES ($1, $1, $2, 'mediator', 'village', $3, $4)`,
    [`vm-${where.county}`, `vm@${world.taskQueue}.test.cn`, where.village, `h-vm-${where.county}`],
  );
});
afterAll(async () => {
  world?.smtp.setMode('accept');
  await world?.stop();
});

test('a notice the server keeps refusing is given up after its bounded retries, marked failed, and the case goes on', async () => {
  const { env, taskQueue, smtp, db } = world;
  smtp.setMode('refuse');
  const caseId = `MED-${randomBytes(6).toString('hex').toUpperCase()}`;
  const handle = await env.client.workflow.start(mediationWorkflow, {
    taskQueue,
    workflowId: caseId,
    args: [{
      caseId, category: 'neighbourhood', summary: '退信测试', area: where.village, channel: 'grid', reportedAt: await env.currentTimeMs(),
      policy: everyDayWorked(), parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
      reportedBy: { id: 'grid', name: '网格员', role: 'grid_worker' },
    }],
  });
  const key = `${caseId}:1:mediation/new-case`;
  // The relay keeps its schedule on the row (next_attempt_at, real time): the two hours pass by moving the next attempt
  // to now after each failure, and the workflow's clock by the test server.
  await env.sleep(3 * HOUR_MS);
  const row = () =>
    db.query<{ status: string; attempts: number; waiting: boolean }>(
      'SELECT status, attempts, next_attempt_at > now() AS waiting FROM mail_outbox WHERE key = $1',
      [key],
    );
  for (let i = 0; i < MAIL_RETRY.maximumAttempts + 5; i++) {
    const end = Date.now() + 10_000;
    let r = (await row()).rows[0];
    while (r?.status === 'pending' && !(r.attempts > i && r.waiting) && Date.now() < end) {
      await new Promise((ok) => setTimeout(ok, 100));
      r = (await row()).rows[0];
    }
    if (r?.status !== 'pending') break;
    await db.query('UPDATE mail_outbox SET next_attempt_at = now() WHERE key = $1 AND status = $2', [key, 'pending']);
    await db.query(`SELECT pg_notify('pingan_outbox', '')`);
  }
  const rows = await db.query<{ status: string; attempts: number; last_error: string }>(
    'SELECT status, attempts, last_error FROM mail_outbox WHERE key = $1',
    [key],
  );
  expect(rows.rows).toHaveLength(1);
  expect(rows.rows[0].status).toBe('failed');
  expect(rows.rows[0].attempts).toBe(MAIL_RETRY.maximumAttempts);
  expect(rows.rows[0].last_error).toMatch(/^gave up after its retries: .*421/);
  expect(smtp.messages.filter((m) => m.subject.includes(caseId))).toHaveLength(0);

  // The case was never held by its mail: it takes an action and reports its state.
  smtp.setMode('accept');
  const accepted = await handle.executeUpdate(mediationAction, {
    args: [{ type: 'accept', actor: { id: `vm-${where.county}`, name: 'vm', role: 'mediator', level: 'village', area: where.village, committee: null } }],
  });
  expect(accepted.status).toBe('in_mediation');
  expect((await handle.query(mediationState)).version).toBe(accepted.version);
  await handle.terminate('test over');
});
