// The workflow bundle: every process the worker runs.
export { mediationWorkflow } from './mediation';
export { villageDecisionWorkflow } from './village-decision';
export { petitionWorkflow } from './petition';
export { meetingWorkflow } from './meeting';
