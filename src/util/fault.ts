// Fault injection for the crash tests: when OSMEDIA_FAULT_POINT names this point, the process
// kills itself with SIGKILL right here, as a power cut or a cancelled CI job would.
// Costs one environment lookup when unset.
export function faultPoint(name: string): void {
  if (process.env.OSMEDIA_FAULT_POINT === name) process.kill(process.pid, 'SIGKILL');
}
