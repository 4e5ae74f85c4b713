// Fault injection for the crash tests: when OSMEDIA_FAULT_POINT names this point, the process
// kills itself with SIGKILL right here, as a power cut or a cancelled CI job would.
// Costs one environment lookup when unset.
export function faultPoint(name: string): void {
  if (process.env.OSMEDIA_FAULT_POINT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * For the publish fault tests: a byte counter that SIGKILLs the process once more than
 * OSMEDIA_FAULT_AFTER_BYTES bytes were copied. A no-op when unset.
 */
export function byteFault(): (bytes: number) => void {
  const limit = Number(process.env.OSMEDIA_FAULT_AFTER_BYTES ?? NaN);
  if (!Number.isFinite(limit)) return () => {};
  let total = 0;
  return (bytes) => {
    total += bytes;
    if (total > limit) process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * For the concurrency tests: when OSMEDIA_PAUSE_POINT names this point, the process writes
 * `<OSMEDIA_PAUSE_FILE>.reached` and waits here until OSMEDIA_PAUSE_FILE exists (the test creates
 * it), so a test can act while this run is known to be between two steps. A no-op when unset.
 */
export async function pausePoint(name: string): Promise<void> {
  const file = process.env.OSMEDIA_PAUSE_FILE;
  if (process.env.OSMEDIA_PAUSE_POINT !== name || !file) return;
  const { existsSync, writeFileSync } = await import('node:fs');
  const { setTimeout: sleep } = await import('node:timers/promises');
  writeFileSync(`${file}.reached`, String(process.pid));
  while (!existsSync(file)) await sleep(20);
}
