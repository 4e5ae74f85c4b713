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
