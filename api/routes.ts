import { MEDIATION_ROUTES } from './mediations';
import { MEETING_ROUTES } from './meetings';
import { MEMBER_ROUTES } from './members';
import { PETITION_ROUTES } from './petitions';
import { STATS_ROUTES } from './stats';
import { TOKEN_ROUTES } from './tokens';
import { VILLAGE_ROUTES } from './village-decisions';
import type { Route } from './route';

/**
 * Every route of the staff API (/api/v1, with a member's token), declared once through the route factory
 * (api/route.ts), in the order they are served: api/app.ts mounts them and api/openapi.ts documents them, from these
 * same declarations.
 */
export const API_ROUTES: readonly Route[] = [
  ...MEMBER_ROUTES,
  ...TOKEN_ROUTES,
  ...MEDIATION_ROUTES,
  ...VILLAGE_ROUTES,
  ...PETITION_ROUTES,
  ...MEETING_ROUTES,
  ...STATS_ROUTES,
];
