import { randomBytes } from 'node:crypto';
import type { Policy } from '../domain/policy';
import { mediationState, mediationWorkflow } from '../workflows/mediation';
import { petitionState, petitionWorkflow } from '../workflows/petition';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * A deadline in a year whose holidays the calendar lacks is counted with weekends only and never silently: the case
 * names it under `provisional`, in the workflow's state and in the register.
 */
let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const withoutYears = (): Policy => {
  const p: Policy = structuredClone(sys.policy);
  p.version = 'test-no-calendar';
  p.calendar.value = { weekendDays: [0, 6], years: [] };
  return p;
};

test('a case whose deadlines fall in years without a calendar names them provisional, in its state and the register', async () => {
  const where = uniqueVillage('暂定');
  const caseId = `MED-${randomBytes(6).toString('hex').toUpperCase()}`;
  const h = await sys.client.workflow.start(mediationWorkflow, {
    taskQueue: sys.config.TEMPORAL_TASK_QUEUE,
    workflowId: caseId,
    args: [{
      caseId, category: 'neighbourhood', summary: '排水沟纠纷', area: where.village, channel: 'grid', reportedAt: Date.now(),
      policy: withoutYears(), parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
      reportedBy: { id: 'grid', name: '网格员', role: 'grid_worker' },
    }],
  });
  const c = await h.query(mediationState);
  expect(c.provisional).toEqual(['acceptBy', 'acceptReminderAt', 'levelDeadline', 'levelReminderAt']);
  for (let i = 0; i < 50; i++) {
    const row = await sys.db.query('SELECT snapshot FROM cases WHERE id = $1', [caseId]);
    if (row.rows[0]) {
      expect(row.rows[0].snapshot.provisional).toEqual(c.provisional);
      break;
    }
    if (i === 49) throw new Error('the case never reached the register');
    await new Promise((r) => setTimeout(r, 100));
  }
  await h.terminate('test over');
});

test('with the shipped calendar, a deadline inside a known year is not provisional', async () => {
  const petitionId = `PET-${randomBytes(6).toString('hex').toUpperCase()}`;
  const policy: Policy = structuredClone(sys.policy);
  // Registered on a date of a known year whose 15-day limit ends inside it.
  const registeredAt = Date.parse('2026-03-02T09:00:00+08:00');
  const h = await sys.client.workflow.start(petitionWorkflow, {
    taskQueue: sys.config.TEMPORAL_TASK_QUEUE,
    workflowId: petitionId,
    args: [{
      petitionId, petitioner: { name: '周某' }, subject: '测试', content: '…', channel: 'letter', area: '暂定县/计时镇',
      registeredBy: { id: 'po', name: '信访干部', role: 'petition_officer' }, registeredAt, policy,
    }],
  });
  const p = await h.query(petitionState);
  expect(p.deadlines.assignBy).toBe('2026-03-18T00:00:00.000+08:00');
  expect(p.provisional).toBeUndefined();
  const without = withoutYears();
  const petitionId2 = `PET-${randomBytes(6).toString('hex').toUpperCase()}`;
  const h2 = await sys.client.workflow.start(petitionWorkflow, {
    taskQueue: sys.config.TEMPORAL_TASK_QUEUE,
    workflowId: petitionId2,
    args: [{
      petitionId: petitionId2, petitioner: { name: '周某' }, subject: '测试二', content: '…', channel: 'letter', area: '暂定县/计时镇',
      registeredBy: { id: 'po', name: '信访干部', role: 'petition_officer' }, registeredAt, policy: without,
    }],
  });
  expect((await h2.query(petitionState)).provisional).toEqual(['assignBy']);
  await h.terminate('test over');
  await h2.terminate('test over');
});
