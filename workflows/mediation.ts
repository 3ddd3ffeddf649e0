import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  applyMediationAction,
  checkMediationAction,
  InvalidTransition,
  nextDeadline,
  NotPermitted,
  type ActingStaff,
  openMediation,
  type Agreement,
  type MediationAction,
  type MediationCase,
  type OpenMediationInput,
} from '../domain/mediation';
import type { ProcessActivities } from '../domain/ports';
import { areaPrefixes, SA } from '../domain/search-attributes';

/** Messages of the mediation workflow (module level, next to the workflow). */
export const mediationState = defineQuery<MediationCase>('mediationState');
/** Returns once the case is in the register (PostgreSQL), so the API can answer 201 with a readable case. */
export const mediationOpened = defineUpdate<MediationCase>('mediationOpened');
export const acceptCase = defineUpdate<MediationCase, [{ actor: ActingStaff; note?: string }]>('acceptCase');
export const recordAgreement = defineUpdate<MediationCase, [{ actor: ActingStaff; agreement: Agreement }]>('recordAgreement');

const acts = proxyActivities<ProcessActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const CHANNEL_NAMES: Record<string, string> = {
  grid: '网格员上报',
  walk_in: '来访窗口',
  hotline: '热线电话',
  police: '警调对接',
  court: '诉调对接',
  petition: '访调对接',
};

/** Turns a domain refusal into the failure the client sees (the API answers 409 with its message). */
function refuse(err: unknown): never {
  if (err instanceof InvalidTransition) {
    throw ApplicationFailure.create({ type: 'InvalidTransition', message: err.message, nonRetryable: true });
  }
  if (err instanceof NotPermitted) {
    throw ApplicationFailure.create({ type: 'Forbidden', message: err.message, nonRetryable: true });
  }
  throw err;
}

export async function mediationWorkflow(input: OpenMediationInput): Promise<MediationCase> {
  let c = openMediation(input);
  let recorded = false;

  const publish = () =>
    upsertSearchAttributes([
      { key: SA.kind, value: 'mediation' },
      { key: SA.status, value: c.status },
      { key: SA.level, value: c.level },
      { key: SA.area, value: areaPrefixes(c.area) },
      { key: SA.category, value: c.category },
      { key: SA.nextDeadline, value: nextDeadline(c) ? new Date(nextDeadline(c)!) : null },
      { key: SA.overdue, value: false },
    ]);

  const act = async (action: MediationAction): Promise<MediationCase> => {
    let result;
    try {
      result = applyMediationAction(c, action, Date.now());
    } catch (err) {
      refuse(err);
    }
    c = result.next;
    publish();
    await acts.recordMediation({ snapshot: c, event: result.event });
    return c;
  };
  const validate = (action: MediationAction) => {
    try {
      checkMediationAction(c, action);
    } catch (err) {
      refuse(err);
    }
  };

  setHandler(mediationState, () => c);
  setHandler(mediationOpened, async () => {
    await condition(() => recorded);
    return c;
  });
  setHandler(acceptCase, ({ actor, note }) => act({ type: 'accept', actor, note }), {
    validator: ({ actor, note }) => validate({ type: 'accept', actor, note }),
  });
  setHandler(recordAgreement, ({ actor, agreement }) => act({ type: 'recordAgreement', actor, agreement }), {
    validator: ({ actor, agreement }) => validate({ type: 'recordAgreement', actor, agreement }),
  });

  publish();
  await acts.recordMediation({ snapshot: c, event: c.timeline[0] });
  recorded = true;
  await acts.notify({
    key: `${c.id}:assigned:${c.level}`,
    template: 'mediation/new-case',
    recipients: { kind: 'mediators', area: c.responsibleArea, level: c.level },
    data: { case: c, channelName: CHANNEL_NAMES[c.channel] ?? c.channel },
  });

  await condition(() => c.status === 'closed' && allHandlersFinished());
  return c;
}
