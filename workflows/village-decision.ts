import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { areaPrefixes, SA } from '../domain/search-attributes';
import { objectionLimitProblem } from '../domain/village-policy';
import {
  applyVillageAction,
  checkVillageAction,
  nextVillageDeadline,
  nextVillageSystemAction,
  openVillageMatter,
  villageMailData,
  type OpenVillageInput,
  type VillageAction,
  type VillageEvent,
  type VillageMatter,
  type VillageNotice,
  type VillagePublicAction,
  type VillageStaffAction,
} from '../domain/village';
import type { OutboxNotice } from '../domain/ports';
import { casePolicy, markProvisional, runClock } from './clock';
import { continueAsNewWhen, patchDecisions, type RunnerInput } from './continuation';
import { mailOffUpdatePath, startMailroom } from './mailroom';
import { acts, recordOpening, recordOrUndo, refuse } from './shared';

/** Messages of the village-decision workflow (module level, next to the workflow). */
export const villageState = defineQuery<VillageMatter>('villageState');
/** Returns once the matter is in the register (PostgreSQL), so the API can answer 201 with a readable matter. */
export const villageOpened = defineUpdate<VillageMatter | VillageTransition>('villageOpened');
/** Every action on a matter: the clerk's (meetings, answers, progress, completion) and a villager's objection. */
export const villageAction = defineUpdate<VillageMatter | VillageTransition, [VillageStaffAction | VillagePublicAction]>('villageAction');

/** What an update of a compact matter answers: the transition, not the whole matter (read that from the register). */
export interface VillageTransition {
  id: string;
  status: VillageMatter['status'];
  version: number;
  event: VillageEvent;
}

/**
 * Patch: compact transitions (implies legal-periods, continue-as-new and mail-off-update-path; a compact matter asks
 * this one patch only). The register write's input is the matter without its timeline plus the event (the register
 * appends it), and updates answer with the transition (VillageTransition), so that a transition no longer copies the
 * whole matter into history two or three times. As mediation-compact-transitions.
 */
export const COMPACT_TRANSITIONS = 'village-compact-transitions';



/** Refusal types of an objection past the policy's bounds (api/notices.ts answers 409 and 422). */
export const OBJECTION_LIMIT = 'ObjectionLimit';
export const OBJECTION_TOO_LONG = 'ObjectionTooLong';

/** One matter of a village, from the party branch's proposal to the end of the results notice. */
export async function villageDecisionWorkflow(input: OpenVillageInput & RunnerInput<VillageMatter>): Promise<VillageMatter> {
  const decide = patchDecisions(input.continued);
  // A compact matter is decided first: it implies every earlier patch, so it asks for none of them.
  const compact = decide.patched(COMPACT_TRANSITIONS);
  const since = (name: string) => (compact ? decide.assume(name) : decide.patched(name));
  // A continued run carries the policy as the first run resolved it, and the matter as it was.
  const policy = input.continued ? input.policy : casePolicy(input.policy, since);
  let opened: ReturnType<typeof openVillageMatter> | undefined;
  if (!input.continued) {
    try {
      opened = openVillageMatter({ ...input, policy });
    } catch (err) {
      refuse(err);
    }
  }
  let m = input.continued ? input.continued.state : markProvisional(opened!.matter, policy.calendar.value);
  let recorded = input.continued !== undefined;
  let refusedAtOpening: ApplicationFailure | undefined;

  const publish = () => {
    const deadline = nextVillageDeadline(m);
    upsertSearchAttributes([
      { key: SA.kind, value: 'village_decision' },
      { key: SA.status, value: m.status },
      { key: SA.area, value: areaPrefixes(m.area) },
      { key: SA.category, value: m.type },
      { key: SA.nextDeadline, value: deadline ? new Date(deadline) : null },
      { key: SA.overdue, value: m.overdue },
    ]);
  };

  const mail = startMailroom(m.id);
  const continueNow = continueAsNewWhen(input, mail.idle, compact);
  const mailOff = () => compact || mailOffUpdatePath();
  const outboxOf = (notices: VillageNotice[], event: VillageEvent): OutboxNotice[] =>
    notices.map((n) => ({ key: `${m.id}:${event.seq}:${n.template}:${n.recipients.kind}`, template: n.template, recipients: n.recipients }));
  /** Notices of matters from before the mail left the update path: rendered and sent in line. */
  const send = async (notices: VillageNotice[], event: VillageEvent) => {
    const data = villageMailData(m, event);
    for (const n of notices) {
      const key = `${m.id}:${event.seq}:${n.template}:${n.recipients.kind}`;
      await acts.notify({ key, template: n.template, recipients: n.recipients, data });
    }
  };

  /** Writes the matter and its event (and the event's outbox rows) to the register. */
  const record = (event: VillageEvent, outbox: OutboxNotice[] | undefined) => {
    if (!compact) return acts.recordVillageMatter({ snapshot: m, event, outbox });
    const { timeline: _timeline, ...rest } = m;
    return acts.recordVillageMatter({ snapshot: rest, event, outbox });
  };
  const answer = (event: VillageEvent): VillageMatter | VillageTransition =>
    compact ? { id: m.id, status: m.status, version: m.version, event } : m;

  const act = async (action: VillageAction, now = Date.now()): Promise<VillageMatter | VillageTransition> => {
    let result;
    try {
      result = applyVillageAction(m, action, now, policy);
    } catch (err) {
      refuse(err);
    }
    const before = m;
    m = markProvisional(result.next, policy.calendar.value);
    publish();
    const outbox = mailOff() ? outboxOf(result.notices, result.event) : undefined;
    await recordOrUndo(
      () => record(result.event, outbox),
      () => {
        m = before;
        publish();
      },
    );
    if (outbox) mail.post(outbox.map((n) => n.key));
    else await send(result.notices, result.event);
    return answer(result.event);
  };

  setHandler(villageState, () => m);
  setHandler(villageOpened, async () => {
    await condition(() => recorded || refusedAtOpening !== undefined);
    if (refusedAtOpening) throw refusedAtOpening;
    return answer(m.timeline[0]);
  });
  setHandler(villageAction, (action) => act(action), {
    validator: (action) => {
      try {
        checkVillageAction(m, action, Date.now(), policy);
      } catch (err) {
        refuse(err);
      }
      // The public form's bounds (policy.village.objections): a refusal the API answers 409 or 422.
      if (action.type === 'fileObjection') {
        const onNotice = m.objections.filter((o) => o.noticeId === action.objection.noticeId).length;
        const problem = objectionLimitProblem(policy.village, onNotice, action.objection.text);
        if (problem) {
          throw ApplicationFailure.create({ type: problem.kind === 'limit' ? OBJECTION_LIMIT : OBJECTION_TOO_LONG, message: problem.message, nonRetryable: true });
        }
      }
    },
  });

  publish();
  if (opened) {
    const openingOutbox = mailOff() ? outboxOf(opened.notices, m.timeline[0]) : undefined;
    // Refused for good by the register, the opening request is refused and the process ends (not wedged).
    await recordOpening(
      () => record(m.timeline[0], openingOutbox),
      (refusal) => (refusedAtOpening = refusal),
    );
    recorded = true;
    if (openingOutbox) mail.post(openingOutbox.map((n) => n.key));
    else await send(opened.notices, m.timeline[0]);
  }

  // The clock: notice periods, step reminders and the township alert, unless an action changes the matter first.
  const ended = await runClock({
    finished: () => m.finished,
    version: () => m.version,
    next: () => nextVillageSystemAction(m),
    act,
    continueAsNew: continueNow,
  });
  if (ended === 'continue') {
    return continueAsNew<typeof villageDecisionWorkflow>({ ...input, policy, continued: { state: m, patches: decide.made } });
  }
  await condition(mail.idle);
  return m;
}
