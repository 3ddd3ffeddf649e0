import type { RequestHandler } from 'express';
import type { Actor } from '../domain/actors';
import { areaContains } from '../domain/areas';
import type { Db } from '../platform/db';
import { checkToken, toActor } from '../platform/users';
import { ApiError, forbidden } from './errors';

/** Bearer token → staff member (401 when missing or unknown). */
export function authenticate(db: Db): RequestHandler {
  return async (req, _res, next) => {
    try {
      const m = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
      if (!m) throw new ApiError(401, 'unauthenticated', 'missing Authorization: Bearer <token> header');
      // Says whether the token expired or is unknown (revoked, rotated, deactivated), never which ids exist.
      const checked = await checkToken(db, m[1]);
      if ('refused' in checked) {
        throw checked.refused === 'expired'
          ? new ApiError(401, 'token_expired', 'this token has expired; ask an administrator for a new one')
          : new ApiError(401, 'unauthenticated', 'unknown or revoked token');
      }
      req.actor = toActor(checked.user);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function actorOf(req: { actor?: Actor }): Actor {
  if (!req.actor) throw new ApiError(401, 'unauthenticated', 'not authenticated');
  return req.actor;
}

/** The administrator ('*') sees every area; others only their own and what lies inside it. */
export function mayActIn(actor: Actor, area: string): boolean {
  return actor.area === '*' || areaContains(actor.area, area);
}

export function requireArea(actor: Actor, area: string): void {
  if (!mayActIn(actor, area)) throw forbidden(`area ${area} is outside your area ${actor.area}`);
}
