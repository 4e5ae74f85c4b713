// Process entry point: `osmedia …`. `osmedia --version` answers without loading the commands (the
// bundle splits them into a chunk loaded on demand), so it costs little more than Node's start-up.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const { OSMEDIA_VERSION } = await import('./version.ts');
  process.stdout.write(`${OSMEDIA_VERSION}\n`);
} else {
  const { main } = await import('./cli.ts');
  const { describeError } = await import('./util/errors.ts');
  // main() funnels every error itself; this catches only what escapes it, so no stack reaches a user.
  process.exitCode = await main(argv).catch((error: unknown) => {
    const described = describeError(error);
    process.stderr.write(`error: ${described.message}\n${described.fix ? `fix: ${described.fix}\n` : ''}`);
    return 1;
  });
}
