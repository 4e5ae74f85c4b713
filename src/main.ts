// Process entry point: `osmedia …`.
import { main } from './cli.ts';
import { describeError } from './util/errors.ts';

// main() funnels every error itself; this catches only what escapes it, so no stack reaches a user.
process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  const described = describeError(error);
  process.stderr.write(`error: ${described.message}\n${described.fix ? `fix: ${described.fix}\n` : ''}`);
  return 1;
});
