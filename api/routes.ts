import { MEDIATION_ROUTES } from './mediations';
import { PETITION_ROUTES } from './petitions';
import { VILLAGE_ROUTES } from './village-decisions';
import type { Route } from './route';

/**
 * Every route of the staff API declared through the route factory (api/route.ts), in the order they are served:
 * api/app.ts mounts them and api/openapi.ts documents them, from these same declarations.
 */
export const API_ROUTES: readonly Route[] = [...MEDIATION_ROUTES, ...VILLAGE_ROUTES, ...PETITION_ROUTES];
