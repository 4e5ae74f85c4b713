// Preloaded into the osmedia process by the benchmark: records this process's own peak RSS
// (not its children's: 7-Zip and wimlib are measured separately as the raw tools).
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.OSMEDIA_BENCH_RSS_FILE) writeFileSync(process.env.OSMEDIA_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
