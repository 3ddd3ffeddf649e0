/** Refusals every process shares. Workflows turn them into failures the API maps to HTTP answers. */

/** An action the current state does not allow (the API answers 409). */
export class InvalidTransition extends Error {
  override name = 'InvalidTransition';
}

/** An actor who may not take this action here (the API answers 403). */
export class NotPermitted extends Error {
  override name = 'NotPermitted';
}

/** The failure type of an activity whose data the register (PostgreSQL) refused for good: retrying cannot help. */
export const REGISTER_REFUSED = 'RegisterRefused';
