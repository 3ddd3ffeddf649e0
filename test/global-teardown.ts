import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const infra = globalThis.__pinganInfra;
  if (!infra) return;
  await infra.temporal?.stop();
  infra.postgres?.stop();
  fs.rmSync(infra.tmp, { recursive: true, force: true });
}
