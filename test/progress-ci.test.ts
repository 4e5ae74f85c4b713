// Issue 17.4: in a CI log (CI=true, no TTY) progress is "a plain line every 10 % or 5 s" for every
// step. Distribute and verify used to put the file count and MiB/s into the phase, so every 1 MiB
// chunk looked like a new phase and printed a line (~150 lines per 100 MiB).
import { Writable } from 'node:stream';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleReporter, type OsmediaEvent } from '../src/util/events.ts';
import { runCli, tempDir } from './helpers.ts';
import { stampedWorkspace } from './distribute/helpers.ts';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

const MiB = 1024 * 1024;

/** What distribute emits for 100 MiB in 1 MiB chunks over `files` files: the detail changes every chunk. */
function distributeStream(total = 100 * MiB, files = 40): Extract<OsmediaEvent, { type: 'progress' }>[] {
  const events: Extract<OsmediaEvent, { type: 'progress' }>[] = [];
  for (let done = MiB; done <= total; done += MiB) {
    const filesDone = Math.floor((done / total) * files);
    events.push({
      type: 'progress',
      step: 'distribute',
      phase: 'copying to D:\\pkg\\Win11',
      detail: `${filesDone}/${files} files, ${100 + (done % 7)} MiB/s`,
      done,
      total,
      unit: 'bytes',
    });
  }
  return events;
}

/** The progress lines per `[step] phase` in a log (a parenthesised count or speed is not part of the phase). */
function linesPerPhase(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const match = /^(\[[^\]]+\] .+): \d+%/.exec(line);
    if (!match) continue;
    const phase = match[1]!.replace(/ \([^)]*\)$/, '');
    counts.set(phase, (counts.get(phase) ?? 0) + 1);
  }
  return counts;
}

describe('CI progress lines (fake clock)', () => {
  it('100 MiB of distribute in a fast second prints one line per 10 %, with the detail shown', () => {
    const out = sink();
    let now = 0;
    const reporter = new ConsoleReporter({ stream: out.stream, tty: false, now: () => now });
    for (const event of distributeStream()) {
      now += 10; // one second for 100 MiB
      reporter.emit(event);
    }
    const lines = out.lines();
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('[distribute] copying to D:\\pkg\\Win11: 1% 1.0 MiB of 100.0 MiB (0/40 files, 104 MiB/s)');
    expect(lines.at(-1)).toMatch(/^\[distribute\] copying to D:\\pkg\\Win11: 100% 100\.0 MiB of 100\.0 MiB \(40\/40 files, /);
  });

  it('a slow phase adds one line per 5 s, no more', () => {
    const out = sink();
    let now = 0;
    const reporter = new ConsoleReporter({ stream: out.stream, tty: false, now: () => now });
    for (const event of distributeStream()) {
      now += 1000; // 100 s for 100 MiB: a line every 5 s (20), the 10 % steps fall among them
      reporter.emit(event);
    }
    const lines = out.lines();
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(lines.length).toBeLessThanOrEqual(11 + 20);
  });

  it('verify-shaped events (MiB/s in the detail) and phases of several steps each keep their own count', () => {
    const out = sink();
    let now = 0;
    const reporter = new ConsoleReporter({ stream: out.stream, tty: false, now: () => now });
    for (let done = 1; done <= 100; done++) {
      now += 1;
      reporter.emit({
        type: 'progress',
        step: 'verify',
        phase: 'hashing 26100.2314-1a2b3c4d',
        detail: `${done * 3} MiB/s`,
        done: done * MiB,
        total: 100 * MiB,
        unit: 'bytes',
      });
      reporter.emit({ type: 'progress', step: 'apply-updates', phase: 'Enterprise: adding KB5046617', done, total: 100, unit: 'percent' });
    }
    expect([...linesPerPhase(out.lines()).values()]).toEqual([11, 11]);
  });
});

describe('CI progress lines (what a CI user sees)', () => {
  it('distribute and verify of 24 MiB print at most a line per 10 % or 5 s per phase', async () => {
    const workspace = await stampedWorkspace({ payloadBytes: 24 * MiB });
    const target = path.join(await tempDir(), 'Win11');
    const started = Date.now();
    const published = await runCli(['distribute', '--workspace', workspace, '--target', target], { env: { CI: 'true' } });
    expect(published.exitCode, published.stderr).toBe(0);
    const verified = await runCli(['verify', '--target', target], { env: { CI: 'true' } });
    expect(verified.exitCode, verified.stderr).toBe(0);
    // The 5 s rule is about time: allow one line per 5 s that passed (this is a budget, not a timing assertion).
    const allowance = 11 + Math.ceil((Date.now() - started) / 5000);
    const lines = `${published.stderr}\n${verified.stderr}`.split('\n');
    const counts = linesPerPhase(lines);
    expect(
      [...counts.keys()].some((k) => k.startsWith('[distribute] copying to ')),
      lines.join('\n'),
    ).toBe(true);
    expect(
      [...counts.keys()].some((k) => k.startsWith('[verify] hashing ')),
      lines.join('\n'),
    ).toBe(true);
    for (const [phase, count] of counts) expect(count, `${phase}\n${lines.join('\n')}`).toBeLessThanOrEqual(allowance);
    expect(`${published.stderr}${verified.stderr}`).not.toContain('\r');
  });
});
