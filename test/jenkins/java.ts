import { execa } from 'execa';
import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Debian's groovy looks for /usr/lib/jvm/default-java; point it at whatever java is installed. */
export async function javaHome(): Promise<string | undefined> {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME;
  const which = await execa('sh', ['-c', 'command -v java'], { reject: false });
  return which.exitCode === 0 ? path.dirname(path.dirname(realpathSync(String(which.stdout).trim()))) : undefined;
}
