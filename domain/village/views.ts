import { BODY_NAMES, NOTICE_NAMES, OUTCOME_NAMES, STATUS_NAMES } from './labels';
import type { MeetingOutcome } from './quorum';
import { currentNotice } from './rules';
import type { NoticeKind, VillageEvent, VillageMatter } from './types';

// ---------------------------------------------------------------------------------------------------------------
// The public view of a notice: what the board shows. No contact details, no staff ids.


/** 350000 → "350,000.00" */
export function formatYuan(amount: number): string {
  const [int, dec] = amount.toFixed(2).split('.');
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${dec}`;
}

export interface PublicNoticeView {
  id: string;
  kind: NoticeKind;
  kindName: string;
  matterId: string;
  title: string;
  typeName: string;
  description: string;
  amountText: string | null;
  attachments: string[];
  area: string;
  county: string;
  township: string;
  village: string;
  startsAt: string;
  endsAt: string;
  ended: boolean;
  meetings: {
    step: string;
    round: number;
    bodyName: string;
    heldAt: string;
    noticeGivenAt: string | null;
    entitled: number;
    present: number;
    households: number | null;
    householdsRepresented: number | null;
    for: number;
    against: number;
    abstain: number;
    rule: string;
    outcome: MeetingOutcome;
    outcomeName: string;
  }[];
  progress: { at: string; note: string }[];
  result: { summary: string; at: string } | null;
  objections: { id: string; filedAt: string; text: string; answer: { text: string; at: string } | null }[];
}

export function publicNoticeView(m: VillageMatter, noticeId: string): PublicNoticeView {
  const n = m.notices.find((x) => x.id === noticeId);
  if (!n) throw new Error(`matter ${m.id} has no notice ${noticeId}`);
  const [county, township, village] = m.area.split('/');
  return {
    id: n.id,
    kind: n.kind,
    kindName: NOTICE_NAMES[n.kind],
    matterId: m.id,
    title: m.title,
    typeName: m.typeName,
    description: m.description,
    amountText: m.amount === null ? null : formatYuan(m.amount),
    attachments: m.attachments,
    area: m.area,
    county,
    township,
    village,
    startsAt: n.startsAt,
    endsAt: n.endsAt,
    ended: n.ended,
    meetings: m.meetings.map((x) => ({
      step: STATUS_NAMES[x.step],
      round: x.round,
      bodyName: x.bodyName,
      heldAt: x.heldAt,
      noticeGivenAt: x.noticeGivenAt ?? null,
      entitled: x.entitled,
      present: x.present,
      households: x.households ?? null,
      householdsRepresented: x.householdsRepresented ?? null,
      for: x.for,
      against: x.against,
      abstain: x.abstain,
      rule: x.rule,
      outcome: x.outcome,
      outcomeName: OUTCOME_NAMES[x.outcome],
    })),
    progress: n.kind === 'result' ? m.progress.map((p) => ({ at: p.at, note: p.note })) : [],
    result: n.kind === 'result' && m.result ? { summary: m.result.summary, at: m.result.at } : null,
    objections: m.objections
      .filter((o) => o.noticeId === n.id)
      .map((o) => ({ id: o.id, filedAt: o.filedAt, text: o.text, answer: o.answer ? { text: o.answer.text, at: o.answer.at } : null })),
  };
}


/** What the mail templates (templates/village/*.hbs) get, besides the recipient. */
export function villageMailData(m: VillageMatter, event: VillageEvent): Record<string, unknown> {
  const last = m.meetings[m.meetings.length - 1];
  const objectionId = event.details?.objectionId;
  return {
    matter: m,
    event,
    statusName: STATUS_NAMES[m.status],
    fromStatusName: event.from ? STATUS_NAMES[event.from.status] : null,
    meeting: last ? { ...last, bodyName: BODY_NAMES[last.body] } : null,
    notice: currentNotice(m) ?? m.notices[m.notices.length - 1] ?? null,
    objection: typeof objectionId === 'string' ? (m.objections.find((o) => o.id === objectionId) ?? null) : null,
    openObjections: m.objections.filter((o) => !o.answer).length,
    amountText: m.amount === null ? null : formatYuan(m.amount),
    // A reminder never presents a passed deadline as still ahead: the procedure limit may have passed before the step's.
    procedureDeadlinePassed: !!m.deadlines.procedureDeadline && Date.parse(m.deadlines.procedureDeadline) <= Date.parse(event.at),
  };
}
