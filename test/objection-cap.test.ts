import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY } from '../domain/policy';
import { DEFAULT_OBJECTION_LIMITS, objectionLimitProblem } from '../domain/village-policy';
import { startTestSystem, uniqueVillage, type TestSystem } from './harness';

/**
 * Objections per notice are capped and their text bounded by the policy (domain/village-policy.ts `objections`): the
 * public endpoint takes objections up to the cap and answers 409 past it, 422 for a text over the bound, with a clear
 * JSON error and nothing recorded. Through HTTP, with a POLICY_FILE of 3 objections of at most 100 characters.
 */
const CAP = 3;
const LENGTH = 100;
let sys: TestSystem;
const where = uniqueVillage('异议');
const policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pingan-policy-')), 'policy.json');

beforeAll(async () => {
  const policy = structuredClone(DEFAULT_POLICY);
  policy.village!.objections = { value: { perNotice: CAP, textLength: LENGTH }, source: 'test: a small cap' };
  fs.writeFileSync(policyFile, JSON.stringify(policy));
  sys = await startTestSystem({ env: { POLICY_FILE: policyFile } });
});
afterAll(async () => {
  await sys?.stop();
});

test('the default limits and the boundary rule, as pure functions', () => {
  expect(DEFAULT_POLICY.village!.objections!.value).toEqual(DEFAULT_OBJECTION_LIMITS);
  expect(objectionLimitProblem(DEFAULT_POLICY.village, 19, 'x'.repeat(2000))).toBeNull();
  expect(objectionLimitProblem(DEFAULT_POLICY.village, 20, '有意见')?.kind).toBe('limit');
  expect(objectionLimitProblem(DEFAULT_POLICY.village, 0, 'x'.repeat(2001))?.kind).toBe('tooLong');
  // A policy snapshot from before the setting existed gets the default bounds.
  expect(objectionLimitProblem({ ...DEFAULT_POLICY.village!, objections: undefined }, 20, '有意见')?.kind).toBe('limit');
});

test('a notice takes objections up to the cap (409 past it) and texts up to the bound (422 past it)', async () => {
  const clerk = await sys.user('village_clerk', where.village);
  const created = await sys.call('POST', '/api/v1/village-decisions', {
    token: clerk.token,
    body: { type: 'homestead', title: '宅基地安排方案', description: '新增宅基地8处，按登记顺序安排' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const ago = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const steps: Array<[string, number, number, number, object?]> = [
    ['party_branch', 5, 5, 5],
    ['two_committees', 7, 7, 6],
    ['party_members', 42, 28, 25],
    ['villagers', 860, 300, 280, { households: 300, householdsRepresented: 201 }],
  ];
  let minutes = 90;
  for (const [b, entitled, present, votesFor, extra] of steps) {
    const r = await sys.call('POST', `/api/v1/village-decisions/${id}/meetings`, {
      token: clerk.token,
      body: { body: b, heldAt: ago((minutes -= 10)), noticeGivenAt: ago(11 * 24 * 60), entitled, present, for: votesFor, against: present - votesFor, abstain: 0, minutes: '同意', ...extra },
    });
    expect(r.status).toBe(200);
  }
  const notice = `${id}-R`;
  const file = (text: string) => sys.call('POST', `/api/v1/notices/${notice}/objections`, { body: { text } });

  // The text bound: LENGTH characters pass, one more is refused with 422 and nothing recorded.
  const tooLong = await file('长'.repeat(LENGTH + 1));
  expect(tooLong.status).toBe(422);
  expect(tooLong.body.error.code).toBe('objection_too_long');
  expect(tooLong.body.error.message).toContain(`${LENGTH}`);
  expect((await file('长'.repeat(LENGTH))).status).toBe(201);

  // The cap: objections 2..CAP are taken, objection CAP+1 is refused with 409 and a clear message.
  for (let i = 2; i <= CAP; i += 1) expect((await file(`第${i}条异议`)).status).toBe(201);
  const past = await file('再提一条异议');
  expect(past.status).toBe(409);
  expect(past.body.error.code).toBe('objection_limit');
  expect(past.body.error.message).toContain(`${CAP}`);

  const state = await sys.client.workflow.getHandle(id).query<{ objections: unknown[] }>('villageState');
  expect(state.objections).toHaveLength(CAP);
  const rows = await sys.db.query('SELECT id FROM objections WHERE notice_id = $1', [notice]);
  expect(rows.rowCount).toBe(CAP);
});
