import { buildOpenApi } from '../api/openapi';
import { MeetingBody } from '../api/village-schemas';

/**
 * What schemathesis (npm run fuzz) showed where the document and the validation disagreed: a body the API requires
 * was documented as optional, and a village meeting with 0 members entitled was documented as valid but refused.
 */
const doc = buildOpenApi('test') as any;
const resolve = (s: any) => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s);

test('every request body with required fields is documented as required', () => {
  const optional: string[] = [];
  let checked = 0;
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      const schema = resolve(op.requestBody?.content?.['application/json']?.schema);
      if (!schema) continue;
      checked += 1;
      const needsFields = Array.isArray(schema.required) && schema.required.length > 0;
      if (needsFields && op.requestBody.required !== true) optional.push(`${method.toUpperCase()} ${path}`);
    }
  }
  expect(checked).toBeGreaterThan(30);
  expect(optional).toEqual([]);
  expect(doc.paths['/api/v1/petitions'].post.requestBody.required).toBe(true);
  expect(doc.paths['/api/v1/mediations/{id}/accept'].post.requestBody.required).toBeFalsy(); // {} is a valid acceptance
});

test('a village meeting needs at least one member entitled to attend, in the document as in the validation', () => {
  expect(resolve(doc.components.schemas.RecordMeeting).properties.entitled.minimum).toBe(1);
  const meeting = {
    body: 'villagers', heldAt: '2026-12-01T09:30:00+08:00', noticeGivenAt: '2026-11-20T09:00:00+08:00',
    entitled: 0, present: 0, for: 0, against: 0, abstain: 0, minutes: '会议记录',
  };
  const r = MeetingBody.safeParse(meeting);
  expect(r.success).toBe(false);
  expect(r.error!.issues[0].path).toEqual(['entitled']);
});
