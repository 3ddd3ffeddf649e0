import { weeklyReview } from '../workflows/petition';
import { bareClose } from './bare';
import { benchVillage, bareIntake, num, type Benchmark, type Ctx } from './context';
import { log, sleep, tag } from './lib';

/**
 * History size: bytes of Temporal history per case after a year of weekly reviews (signals), a notice with the
 * maximum objections and a mediation with 50 sessions; beside a bare case (one row, one update) and Temporal's limits.
 */
const WARN_BYTES = 10 * 2 ** 20;
const LIMIT_BYTES = 50 * 2 ** 20;

async function describe(ctx: Ctx, id: string) {
  const d = await ctx.b.client.workflow.getHandle(id).describe();
  return { bytes: d.historySize ?? NaN, events: d.historyLength, status: d.status.name, runId: d.runId };
}

/** Waits until the case's audit trail holds `count` events of `action` (the workflow has handled every message). */
async function audited(ctx: Ctx, id: string, action: string, count: number) {
  for (let i = 0; i < 600; i++) {
    const r = await ctx.b.db.query('SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND action = $2', [id, action]);
    if (r.rows[0].n >= count) return;
    await sleep(200);
  }
  throw new Error(`${id}: fewer than ${count} ${action} events after 120 s`);
}

export const historySize: Benchmark = {
  name: 'history',
  describe: 'history bytes per case: a year of weekly reviews, a notice with the maximum objections, a mediation with 50 sessions',
  async run(ctx) {
    const weeks = num(ctx, 'weeks', 52);
    const sessions = num(ctx, 'sessions', 50);
    const objections = num(ctx, 'objections', 25);
    const cases: Record<string, { what: string; bytes: number; events: number; status: string; perItem?: number }> = {};
    const v = await benchVillage(ctx, '历史');

    // A petition reviewed by the weekly dispatch meeting every week for a year.
    const officer = await v.user({ name: '基准信访干部', email: `officer-${tag()}@bench.cn`, role: 'petition_officer', area: v.county });
    const pet = await ctx.call('POST', '/api/v1/petitions', officer.token, {
      petitioner: { name: '周某', phone: '13800000000', email: 'zhou@bench.cn' }, subject: `征地补偿款未足额发放-${tag()}`,
      content: '2025年村里征地，补偿款至今只发放一半。', channel: 'visit', area: v.township,
    });
    const handle = ctx.b.client.workflow.getHandle(pet.id);
    for (let w = 0; w < weeks; w++) {
      await handle.signal(weeklyReview, {
        meetingId: `MTG-bench-${w}`, direction: 'continue', note: `第${w + 1}周集中办公会议：继续督办，按期答复`,
        actor: { id: 'bench-chair', name: '县委书记', role: 'leader' },
      });
    }
    await audited(ctx, pet.id, 'weekly_review', weeks);
    cases.petition = { what: `petition, ${weeks} weekly reviews`, ...(await describe(ctx, pet.id)) };
    log(`  petition ${pet.id}: ${cases.petition.bytes} bytes`);

    // A mediation with many sessions.
    const med = await ctx.call('POST', '/api/v1/mediations', v.grid, {
      category: 'neighbourhood', summary: '宅基地界桩争议', area: v.village, channel: 'grid', parties: [{ name: '甲', role: 'applicant' }, { name: '乙', role: 'respondent' }],
    });
    await ctx.call('POST', `/api/v1/mediations/${med.id}/accept`, v.mediator, {});
    for (let s = 0; s < sessions; s++) {
      await ctx.call('POST', `/api/v1/mediations/${med.id}/sessions`, v.mediator, { heldAt: new Date(Date.now() - (sessions - s) * 60_000).toISOString(), summary: `第${s + 1}次调解：双方到场，分歧在东侧界桩，约定下次带齐确权图` });
    }
    cases.mediation = { what: `mediation, ${sessions} sessions`, ...(await describe(ctx, med.id)) };
    log(`  mediation ${med.id}: ${cases.mediation.bytes} bytes`);

    // A village resolution notice with the most objections the public board takes, each 2,000 characters.
    const clerk = await v.user({ name: '基准文书', email: `clerk-${tag()}@bench.cn`, role: 'village_clerk', area: v.village });
    const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
    const meeting = (body: string, n: number, minutesAgo: number) => ({
      body, heldAt: ago(minutesAgo), noticeGivenAt: ago(minutesAgo + 11 * 24 * 60), entitled: n, present: n, for: n, against: 0, abstain: 0, minutes: `${body} 会议记录`,
    });
    const matter = await ctx.call('POST', '/api/v1/village-decisions', clerk.token, {
      type: 'public_works', title: '硬化村内东西主街', description: '主街1.2公里水泥硬化，宽4米', amount: 350000, attachments: ['预算表'],
    }, { 'Idempotency-Key': `bench-${tag()}` });
    for (const [body, n, m] of [['party_branch', 5, 60], ['two_committees', 7, 50], ['party_members', 30, 40], ['representatives', 30, 20]] as const) {
      await ctx.call('POST', `/api/v1/village-decisions/${matter.id}/meetings`, clerk.token, meeting(body, n, m));
    }
    const text = '造价偏高，希望公开比价。'.repeat(200).slice(0, 2000);
    let accepted = 0;
    for (let o = 0; o < objections; o++) {
      // The board allows 10 objections per address in 10 minutes; the bench clears the counter to reach the maximum.
      await ctx.b.db.query('DELETE FROM objection_rate');
      const res = await fetch(`${ctx.url}/api/v1/notices/${matter.id}-R/objections`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `${o} ${text}`.slice(0, 2000) }),
      });
      if (res.status !== 201) {
        log(`  objection ${o + 1} refused: ${res.status} ${(await res.text()).slice(0, 200)}`);
        break;
      }
      accepted++;
    }
    cases.notice = { what: `village notice, ${accepted} objections of 2,000 characters`, ...(await describe(ctx, matter.id)) };
    log(`  village matter ${matter.id}: ${cases.notice.bytes} bytes`);

    // The bare case: one row, one update.
    const bareId = `BARE-hist-${tag()}`;
    await bareIntake(ctx.b, bareId);
    await ctx.b.client.workflow.getHandle(bareId).signal(bareClose);
    await sleep(500);
    cases.bare = { what: 'bare case (update-with-start, one activity)', ...(await describe(ctx, bareId)) };

    const rows: (string | number)[][] = [['case', 'history bytes', 'events', '% of 10 MB warning', '% of 50 MB limit']];
    for (const c of Object.values(cases)) rows.push([c.what, c.bytes, c.events, (Math.round((c.bytes / WARN_BYTES) * 1000) / 10).toFixed(1), (Math.round((c.bytes / LIMIT_BYTES) * 1000) / 10).toFixed(1)]);
    return { figures: { cases, temporalWarnBytes: WARN_BYTES, temporalLimitBytes: LIMIT_BYTES, objectionsAccepted: accepted }, table: rows };
  },
};
