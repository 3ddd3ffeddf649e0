import fs from 'node:fs';
import { ZodError } from 'zod';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { parsePolicy } from '../domain/policy-schema';

/** The default policy, or POLICY_FILE's, checked once at start-up. */
export function loadPolicy(file?: string): Policy {
  if (!file) return DEFAULT_POLICY;
  try {
    return parsePolicy(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    const detail =
      err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message;
    throw new Error(`POLICY_FILE ${file} is not a valid policy: ${detail}`);
  }
}
