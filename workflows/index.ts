// The workflow bundle: every process the worker runs.
export { mediationWorkflow } from './mediation';
