import { randomBytes } from 'node:crypto';
import type { MediationCase } from '../domain/mediation';
import { HOUR_MS } from '../domain/time';
import { mediationAction, mediationState, mediationWorkflow } from '../workflows/mediation';
import { uniqueVillage } from './harness';
import { everyDayWorked, sleepUntilNine, startTimeSkipping, type TimeSkippingWorld } from './time-skipping';

/**
 * Bounded histories (workflows/continuation.ts): a case whose history passes the runner's limit continues as new,
 * carrying its state, and the new run still answers queries and updates and fires its timers. Forced here with a
 * tiny limit, on the time-skipping test server with the real activities (PostgreSQL, SMTP).
 */
let world: TimeSkippingWorld;
const where = uniqueVillage('续跑');

beforeAll(async () => {
  world = await startTimeSkipping('continue-as-new');
  for (const [id, area, level] of [['vm', where.village, 'village'], ['tm', where.township, 'township']]) {
    await world.db.query(
      `INSERT INTO users (id, name, email, role, level, area, token_hash) VALUES ($1, $1, $2, 'mediator', $3, $4, $5)`,
      [`${id}-${where.county}`, `${id}@${world.taskQueue}.test.cn`, level, area, `h-${id}-${where.county}`],
    );
  }
});
afterAll(async () => {
  await world?.stop();
});

test('a case past a tiny history limit continues as new and still answers queries and updates and fires its timers', async () => {
  const { env, taskQueue, smtp, db } = world;
  await sleepUntilNine(env);
  const reportedAt = await env.currentTimeMs();
  const caseId = `MED-${randomBytes(6).toString('hex').toUpperCase()}`;
  const handle = await env.client.workflow.start(mediationWorkflow, {
    taskQueue,
    workflowId: caseId,
    args: [{
      caseId, category: 'neighbourhood', summary: '续跑测试', area: where.village, channel: 'grid', reportedAt, policy: everyDayWorked(),
      parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
      reportedBy: { id: 'grid', name: '网格员', role: 'grid_worker' },
      historyLimit: 12,
    }],
  });
  const firstRun = handle.firstExecutionRunId;

  // The acceptance reminder (29.25 h) is the first run's last act; the run then continues as new.
  await env.sleep(30 * HOUR_MS);
  const runs = async () => {
    const d = await env.client.workflow.getHandle(caseId).describe();
    return d.runId;
  };
  const secondRun = await runs();
  expect(secondRun).not.toBe(firstRun);
  const first = await env.client.workflow.getHandle(caseId, firstRun).fetchHistory();
  expect(first.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  let c: MediationCase = await handle.query(mediationState);
  expect(c.timeline.map((e) => e.action)).toEqual(['opened', 'acceptance_reminder']);
  await smtp.waitFor((m) => m.subject.includes(caseId) && m.subject.includes('办理提醒') && m.to[0].startsWith('vm@'));

  // The continued run's timer fires: the case climbs to the township when the next day ends (39 h).
  await env.sleep(10 * HOUR_MS);
  c = await handle.query(mediationState);
  expect(c.timeline.map((e) => e.action)).toEqual(['opened', 'acceptance_reminder', 'escalated']);
  expect(c.level).toBe('township');
  await smtp.waitFor((m) => m.subject.includes(caseId) && m.to[0].startsWith('tm@'));

  // It answers an update (through the workflow id, whichever run is current).
  const accepted = await handle.executeUpdate(mediationAction, {
    args: [{ type: 'accept', actor: { id: `tm-${where.county}`, name: 'tm', role: 'mediator', level: 'township', area: where.township, committee: null } }],
  });
  expect(accepted.status).toBe('in_mediation');
  expect((await handle.query(mediationState)).version).toBe(accepted.version);

  // Every transition is in the register once, whatever run recorded it; each reminder mail went out once.
  const audit = await db.query<{ action: string }>('SELECT action FROM audit_events WHERE case_id = $1 ORDER BY seq', [caseId]);
  expect(audit.rows.map((r) => r.action)).toEqual(['opened', 'acceptance_reminder', 'escalated', 'accepted']);
  expect(smtp.messages.filter((m) => m.subject.includes(caseId) && m.subject.includes('办理提醒'))).toHaveLength(1);
  await handle.terminate('test over');
});
