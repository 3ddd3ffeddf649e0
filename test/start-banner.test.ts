import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { byHandLines } from '../scripts/by-hand';

/**
 * The lines `npm start` prints for the README's first case by hand work in a real shell whatever the configuration:
 * an admin token kept in any data directory (even one whose path needs quoting) or given in PINGAN_ADMIN_TOKEN, and the
 * Temporal CLI actually in use, at the server's address (here the suite's dev server on its random port).
 */
const cli = process.env.TEMPORAL_CLI_PATH!;
const address = process.env.TEST_TEMPORAL_ADDRESS!;

function runInBash(lines: string[], then: string, env: Record<string, string> = {}): string {
  return execFileSync('bash', ['-c', `${lines.join('\n')}\n${then}`], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
  });
}

test('the printed lines set T, API and TEMPORAL from wherever this start takes them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pingan data's "));
  const file = path.join(dir, 'admin-token');
  fs.writeFileSync(file, 'pgn_from_the_file_0123456789\n');
  const lines = byHandLines({ apiUrl: 'http://127.0.0.1:3999', adminTokenFile: file, cli, temporalAddress: address, namespace: 'default' });
  expect(lines).toHaveLength(2);
  const out = runInBash(lines, 'echo "$T|$API"; $TEMPORAL workflow list --limit 1 --output json >/dev/null && echo cli-ok');
  expect(out.split('\n')).toEqual(['pgn_from_the_file_0123456789|http://127.0.0.1:3999/api/v1', 'cli-ok', '']);

  // The token from the environment; a CLI on another address than the default is still the one reached.
  const fromEnv = byHandLines({ apiUrl: 'http://127.0.0.1:3999', cli, temporalAddress: address, namespace: 'default' });
  expect(fromEnv[0]).not.toContain('admin-token');
  expect(runInBash(fromEnv, 'echo "$T"', { PINGAN_ADMIN_TOKEN: 'pgn_from_the_environment_42' })).toBe('pgn_from_the_environment_42\n');
  // Against a cluster with TLS the CLI is told so.
  expect(byHandLines({ apiUrl: 'http://x', cli, temporalAddress: 'temporal.example:7233', namespace: 'pingan', tls: true })[1])
    .toBe(`TEMPORAL='${cli} --address temporal.example:7233 --namespace pingan --tls'`);
  fs.rmSync(dir, { recursive: true, force: true });
});
