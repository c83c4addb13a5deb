/**
 * The readings of the DRS documents where they disagree, as local-DRS rule sets, so that the
 * end-to-end tests can run the handler under each one. Test support only.
 *
 * Delete (README guess 33): the user guide says an extended server can be deleted from the target
 * account at any time without affecting replication in the staging account; the API reference
 * says DeleteSourceServer needs DisconnectSourceServer first. The handler must be right under both.
 */
import type { Rules } from './service';

export interface Reading {
  /** Shown in test names. */
  readonly name: string;
  readonly rules: Rules;
}

export const API_REFERENCE_READING: Reading = {
  name: 'API reference: DeleteSourceServer needs a disconnect first',
  rules: { deleteRequiresDisconnect: 'all' },
};

export const USER_GUIDE_READING: Reading = {
  name: 'user guide: an extended server can be deleted at any time',
  rules: { deleteRequiresDisconnect: 'replicatingOnly' },
};

/** Every reading, for `describe.each`. */
export const READINGS: readonly Reading[] = [API_REFERENCE_READING, USER_GUIDE_READING];

/** Environment variable choosing the reading for e2e files that are not parametrized. */
export const READING_ENV = 'LOCAL_DRS_READING';

/** `api-reference` (default) or `user-guide` from LOCAL_DRS_READING. */
export function readingFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Reading {
  const value = env[READING_ENV] ?? 'api-reference';
  if (value === 'api-reference') return API_REFERENCE_READING;
  if (value === 'user-guide') return USER_GUIDE_READING;
  throw new Error(`${READING_ENV} must be 'api-reference' or 'user-guide', got '${value}'`);
}
