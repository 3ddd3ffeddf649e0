import { defineSignal } from '@temporalio/workflow';
import type { ActorRef } from '../domain/actors';
import type { Direction } from '../domain/petition';

/**
 * Signals one process sends another, in one module that both import (the pattern of the samples' `early-return`):
 * the weekly meeting and a mediation case both speak to a petition. Names and types are those recorded in histories.
 */

/** A direction of the weekly dispatch meeting (信访稳定集中办公会议). */
export const weeklyReview = defineSignal<[{ meetingId: string; direction: Direction; note: string; actor: ActorRef }]>('weeklyReview');
/** The outcome of the mediation case this petition was transferred to (访调对接). */
export const mediationOutcome = defineSignal<[{ mediationId: string; outcome: string }]>('mediationOutcome');
