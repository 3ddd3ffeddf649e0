import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isExecutable, onPath } from './temporal-cli';

/**
 * The Temporal Java time-skipping test server (Maven Central `io.temporal:temporal-test-server`), run on the JVM.
 * 1.38.0 was the newest release in Maven Central's metadata when this was written, and resolves with all its deps.
 * Override with TEMPORAL_TEST_SERVER_VERSION (delete .tools/temporal-test-server to rebuild).
 */
export const TEST_SERVER_VERSION = process.env.TEMPORAL_TEST_SERVER_VERSION ?? '1.38.0';
export const TEST_SERVER_DIR = path.join(path.resolve(__dirname, '..'), '.tools', 'temporal-test-server');
export const TEST_SERVER_BIN = path.join(TEST_SERVER_DIR, 'bin', 'temporal-test-server');

/**
 * JVM flags for a fast start: the SDK gives the server only ~5 s to answer (50 tries, 100 ms apart).
 * Measured here (2 cores, Java 17), time to a listening port: ~0.65 s with no flags, ~0.5 s with these,
 * ~0.25 s when the class-data archive (AppCDS, cds.jsa, made once after the fetch) is used too.
 */
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-Xss512k', '-XX:-UsePerfData'];
const MAIN_CLASS = 'io.temporal.testserver.TestServer';

/** The java the wrapper will run: $JAVA_HOME/bin/java, else java on PATH (same rule as the wrapper script). */
function findJava(): string | undefined {
  const home = process.env.JAVA_HOME;
  if (home && isExecutable(path.join(home, 'bin', 'java'))) return path.join(home, 'bin', 'java');
  return onPath('java');
}

const NO_JAVA =
  'Java (11 or newer) is needed to run the Temporal time-skipping test server, and `java` was not found ' +
  '(JAVA_HOME, PATH).\n  Install a JDK or JRE, e.g. `apt-get install -y openjdk-17-jre-headless`, or set JAVA_HOME.';
const NO_MAVEN =
  'Maven (`mvn`) is needed once to fetch the Temporal test server (io.temporal:temporal-test-server) from Maven Central, ' +
  'and it was not found on PATH.\n  Install it, e.g. `apt-get install -y maven`, and run again.';

function pom(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by platform/test-server.ts: only used to fetch the test server's jars into lib/. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.pingan</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/** Single-quotes a word for sh. */
function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function wrapper(libDir: string, version: string, archive: string | undefined): string {
  const flags = [...JVM_FLAGS, ...(archive ? [shq(`-XX:SharedArchiveFile=${archive}`)] : [])].join(' ');
  return `#!/bin/sh
# Temporal time-skipping test server ${version} (io.temporal:temporal-test-server), written by platform/test-server.ts.
# Usage: temporal-test-server <port> [--enable-time-skipping]
if [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
exec "$JAVA" ${flags} -cp ${shq(`${libDir}/*`)} ${MAIN_CLASS} "$@"
`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts the server with extra JVM flags, waits until it listens, then stops it (SIGTERM: a clean JVM exit). */
async function startAndStop(java: string, libDir: string, extra: string[]): Promise<number | undefined> {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(java, [...JVM_FLAGS, ...extra, '-cp', `${libDir}/*`, MAIN_CLASS, String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  child.once('error', () => undefined);
  let listenedAfter: number | undefined;
  while (!gone && Date.now() - started < 20_000) {
    if (await canConnect(port)) {
      listenedAfter = Date.now() - started;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
  return listenedAfter;
}

/**
 * Makes a class-data archive of the classes the server loads at start (AppCDS, Java 13+), which about halves its start-up.
 * Optional: on any failure there is simply no archive. Dumped to a temporary name and renamed once the JVM has exited,
 * because a truncated archive crashes the JVM; then checked by one more start with it.
 */
async function makeClassDataArchive(java: string, libDir: string, log: (msg: string) => void): Promise<string | undefined> {
  const archive = path.join(TEST_SERVER_DIR, 'cds.jsa');
  const tmp = `${archive}.${process.pid}.tmp`;
  try {
    const plain = await startAndStop(java, libDir, [`-XX:ArchiveClassesAtExit=${tmp}`]);
    if (plain === undefined || !fs.existsSync(tmp) || fs.statSync(tmp).size === 0) {
      log('no class-data archive (the JVM could not make one); the test server starts without it');
      return undefined;
    }
    fs.renameSync(tmp, archive);
    const withArchive = await startAndStop(java, libDir, [`-XX:SharedArchiveFile=${archive}`]);
    if (withArchive === undefined) throw new Error('the server did not start with the archive');
    log(`class-data archive made: the test server listened after ${withArchive} ms with it (${plain} ms while archiving)`);
    return archive;
  } catch (err) {
    fs.rmSync(archive, { force: true });
    log(`no class-data archive (${(err as Error).message}); the test server starts without it`);
    return undefined;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function runMaven(mvn: string, cwd: string, log: (msg: string) => void): Promise<void> {
  const args = ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'];
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const child = spawn(mvn, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const ticker = setInterval(() => {
      log(`fetching the Temporal test server with Maven… ${Math.round((Date.now() - started) / 1000)} s`);
    }, 15_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearInterval(ticker);
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-15).join('\n');
      reject(
        new Error(
          `mvn ${args.join(' ')} (in ${cwd}) failed with ${signal ?? `exit code ${code}`}; ` +
            `Maven Central must be reachable (check ~/.m2/settings.xml for mirrors and proxies).\n${tail}`,
        ),
      );
    });
  });
}

async function build(log: (msg: string) => void): Promise<string> {
  if (!findJava()) throw new Error(NO_JAVA);
  if (isExecutable(TEST_SERVER_BIN)) return TEST_SERVER_BIN;
  const mvn = onPath('mvn');
  if (!mvn) throw new Error(NO_MAVEN);
  const java = findJava() as string;
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${java} -version failed (${probe.error?.message ?? probe.stderr.trim()}).\n${NO_JAVA}`);
  }

  const libDir = path.join(TEST_SERVER_DIR, 'lib');
  fs.mkdirSync(path.join(TEST_SERVER_DIR, 'bin'), { recursive: true });
  // No stale jars of another version on the class path, and no archive made for another class path.
  fs.rmSync(libDir, { recursive: true, force: true });
  fs.rmSync(path.join(TEST_SERVER_DIR, 'cds.jsa'), { force: true });
  fs.writeFileSync(path.join(TEST_SERVER_DIR, 'pom.xml'), pom(TEST_SERVER_VERSION));
  log(`fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} and its dependencies with Maven into ${libDir} (once)`);
  const started = Date.now();
  await runMaven(mvn, TEST_SERVER_DIR, log);
  const jar = path.join(libDir, `temporal-test-server-${TEST_SERVER_VERSION}.jar`);
  if (!fs.existsSync(jar)) throw new Error(`Maven finished but ${jar} is missing`);
  const jars = fs.readdirSync(libDir).filter((f) => f.endsWith('.jar')).length;
  log(`fetched ${jars} jars in ${Math.round((Date.now() - started) / 1000)} s`);
  const archive = await makeClassDataArchive(java, libDir, log);

  // Written last, and atomically: its presence means lib/ (and the archive, if any) is complete.
  const tmp = `${TEST_SERVER_BIN}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, wrapper(libDir, TEST_SERVER_VERSION, archive), { mode: 0o755 });
  fs.renameSync(tmp, TEST_SERVER_BIN);
  log(`Temporal test server ready: ${TEST_SERVER_BIN}`);
  return TEST_SERVER_BIN;
}

let pending: Promise<string> | undefined;

/**
 * Path of an executable that starts the Java time-skipping test server (`<path> <port>`), for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 * Built once into .tools/temporal-test-server (git-ignored) with Maven; needs `java` to run and `mvn` to build.
 */
export async function ensureTimeSkippingServer(log: (msg: string) => void): Promise<string> {
  pending ??= build(log).finally(() => {
    pending = undefined;
  });
  return pending;
}
