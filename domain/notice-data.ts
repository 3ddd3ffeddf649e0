// What a notice's template is given: built from the case and the event, by the workflow (notices sent before the
// mail left the update path) or by the recording activity (notices written to the outbox with the transition).
// Pure, in domain/ so that both sides use the same function (activities/ import domain/ only, never workflows/).
import { CHANNEL_NAMES, LEVEL_NAMES, ROUTE_NAMES, type MediationCase, type TimelineEvent } from './mediation';
import {
  DEADLINE_NAMES,
  DIRECTION_NAMES,
  MEDIATION_OUTCOME_NAMES,
  REPLY_DECISIONS,
  STATUS_NAMES,
  type Petition,
  type PetitionEvent,
} from './petition';

export { villageMailData } from './village';

export function mediationMailData(c: MediationCase, event: TimelineEvent): Record<string, unknown> {
  return {
    case: c,
    event,
    levelName: LEVEL_NAMES[c.level],
    fromLevelName: event.from ? LEVEL_NAMES[event.from.level] : null,
    channelName: CHANNEL_NAMES[c.channel],
    routeName: c.outcome?.kind === 'failed' ? ROUTE_NAMES[c.outcome.route] : null,
  };
}

export function petitionMailData(p: Petition, event: PetitionEvent): Record<string, unknown> {
  const deadline = event.details?.deadline as keyof typeof DEADLINE_NAMES | undefined;
  return {
    petition: p,
    event,
    statusName: STATUS_NAMES[p.status],
    deadlineName: deadline ? DEADLINE_NAMES[deadline] : null,
    decisionName: p.reply ? REPLY_DECISIONS[p.reply.decision as keyof typeof REPLY_DECISIONS] : null,
    directionName: p.lastDirection ? DIRECTION_NAMES[p.lastDirection.direction] : null,
    outcomeName: p.linkedMediation?.outcome ? (MEDIATION_OUTCOME_NAMES[p.linkedMediation.outcome] ?? p.linkedMediation.outcome) : null,
    deadlineList: Object.entries(p.deadlines).map(([k, at]) => ({ name: DEADLINE_NAMES[k as keyof typeof DEADLINE_NAMES], at })),
  };
}
