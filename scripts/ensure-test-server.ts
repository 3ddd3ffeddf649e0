/** `npm run setup:test-server`: fetches the Java time-skipping test server once into .tools/temporal-test-server. */
import { ensureTimeSkippingServer } from '../platform/test-server';

ensureTimeSkippingServer((m) => console.log(m))
  .then((p) => console.log(p))
  .catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
