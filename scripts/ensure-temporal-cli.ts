/** `npm run setup:temporal`: finds the Temporal CLI or builds it once into .tools/bin; prints its path. */
import { createLogger } from '../platform/logger';
import { ensureTemporalCli } from '../platform/temporal-cli';

ensureTemporalCli(createLogger())
  .then((p) => console.log(p))
  .catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
