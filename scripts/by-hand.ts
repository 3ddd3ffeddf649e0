/**
 * The shell lines `npm start` prints for working by hand (README, "A first case by hand"): where the administrator's
 * token comes from and which Temporal CLI, at which address, this start uses, whatever the configuration.
 */
export interface ByHandSetup {
  apiUrl: string;
  /** The file the admin token is kept in; undefined when it comes from PINGAN_ADMIN_TOKEN. */
  adminTokenFile?: string;
  /** The Temporal CLI in use or found; undefined when none is (a remote cluster and no CLI installed). */
  cli?: string;
  temporalAddress: string;
  namespace: string;
  tls?: boolean;
}

/** Single-quotes a word for POSIX shells when it needs it. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Two lines to paste into a shell: `T` (admin token) and `API`, then `TEMPORAL` (the CLI with its address). */
export function byHandLines(o: ByHandSetup): string[] {
  const token = o.adminTokenFile ? `T=$(cat ${shellWord(o.adminTokenFile)})` : 'T="$PINGAN_ADMIN_TOKEN"';
  // Used unquoted (`$TEMPORAL workflow list …`), so the shell splits it into words: a CLI path must have no spaces.
  const cli = [o.cli ?? 'temporal', '--address', o.temporalAddress, '--namespace', o.namespace, ...(o.tls ? ['--tls'] : [])].join(' ');
  return [`${token}; API=${shellWord(`${o.apiUrl}/api/v1`)}`, `TEMPORAL=${shellWord(cli)}`];
}
