import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** A Pingan process (`npm run worker`, `npm run api`) started as production starts it, with its JSON log kept. */
export interface PinganProcess {
  name: string;
  child: ChildProcess;
  /** Every line it printed; JSON lines parsed. */
  lines: Array<Record<string, any>>;
  waitFor(what: string, pred: (line: Record<string, any>) => boolean, ms?: number, from?: number): Promise<Record<string, any>>;
  /** The process id the program itself logs (pino's `pid`): the one a signal must reach. */
  loggedPid(): number | undefined;
  /** A signal, then waits for the exit; SIGKILL after `ms`. Resolves with the exit code (null when killed). */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startPingan(name: string, script: 'worker/main.ts' | 'api/main.ts' | 'scripts/start.ts', env: Record<string, string | undefined>, logFile?: string): PinganProcess {
  // Node itself with tsx's loader, not the tsx command: the command runs the script in a second process, so a SIGKILL
  // (which it cannot pass on) would kill only the wrapper and leave the real worker running.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: PinganProcess['lines'] = [];
  const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      log?.write(d);
      const parts = (rest + d.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const l of parts) {
        if (!l.trim()) continue;
        try {
          lines.push(JSON.parse(l));
        } catch {
          lines.push({ text: l });
        }
      }
    });
  }
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      log?.end();
      resolve(exit);
    }),
  );
  return {
    name,
    child,
    lines,
    async waitFor(what, pred, ms = 60_000, from = 0) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = lines.slice(from).find(pred);
        if (hit) return hit;
        if (exit) throw new Error(`${name} exited (${JSON.stringify(exit)}) before ${what}:\n${tail(lines)}`);
        if (Date.now() > end) throw new Error(`${name}: no ${what} within ${ms / 1000} s:\n${tail(lines)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    loggedPid() {
      return lines.find((l) => typeof l.pid === 'number')?.pid;
    },
    async stop(signal = 'SIGTERM', ms = 30_000) {
      if (exit) return exit;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), ms);
      const r = await exited;
      clearTimeout(killer);
      return r;
    },
  };
}

export function tail(lines: Array<Record<string, any>>, n = 15): string {
  return lines
    .slice(-n)
    .map((l) => (l.text ?? `${l.level} ${l.msg} ${JSON.stringify({ ...l, level: undefined, msg: undefined, time: undefined, pid: undefined, hostname: undefined })}`))
    .join('\n');
}

/** Whether a process with this id is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
