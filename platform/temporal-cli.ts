import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger';

/** The Temporal CLI release that `go install` accepts (v1.6+ carry a `replace` directive and fail to install). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

/** Looks for the CLI: TEMPORAL_CLI, then PATH, then the project-local tools folder (.tools/bin, git-ignored). */
export function findTemporalCli(env = process.env): string | undefined {
  if (env.TEMPORAL_CLI) {
    if (!isExecutable(env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file`);
    return env.TEMPORAL_CLI;
  }
  return onPath('temporal') ?? (isExecutable(path.join(TOOLS_BIN, 'temporal')) ? path.join(TOOLS_BIN, 'temporal') : undefined);
}

/** Finds the CLI, or builds it once into .tools/bin with `go install`, printing progress. */
export async function ensureTemporalCli(logger: Logger): Promise<string> {
  const found = findTemporalCli();
  if (found) return found;
  const go = onPath('go');
  if (!go) {
    throw new Error(
      'The Temporal CLI was not found (TEMPORAL_CLI, PATH, .tools/bin) and Go is not installed to build it.\n' +
        `  Install Go (https://go.dev/dl) and run again, or install the CLI yourself: go install ${TEMPORAL_CLI_MODULE}\n` +
        '  and set TEMPORAL_CLI=/path/to/temporal, or point Pingan at a running server with TEMPORAL_ADDRESS=host:port.',
    );
  }
  const goVersion = spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
  fs.mkdirSync(TOOLS_BIN, { recursive: true });
  logger.info({ module: TEMPORAL_CLI_MODULE, into: TOOLS_BIN, go: goVersion }, 'building the Temporal CLI once (a few minutes on 2 cores)');
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', '-v', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: TOOLS_BIN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let packages = 0;
    let last = '';
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        last = line;
        if (!line.startsWith('go: downloading')) packages += 1;
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    const ticker = setInterval(() => {
      logger.info({ elapsedSeconds: Math.round((Date.now() - started) / 1000), packagesBuilt: packages, last }, 'building the Temporal CLI…');
    }, 15_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`go install ${TEMPORAL_CLI_MODULE} failed with exit code ${code}: ${last}`));
    });
  });
  const built = path.join(TOOLS_BIN, 'temporal');
  logger.info({ path: built, seconds: Math.round((Date.now() - started) / 1000) }, 'Temporal CLI built');
  return built;
}
