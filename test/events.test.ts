import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleReporter, formatBytes } from '../src/util/events.ts';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('console progress', () => {
  it('in CI logs prints a plain line every 10 % or after the interval, never a carriage return', () => {
    const out = sink();
    let now = 0;
    const reporter = new ConsoleReporter({ stream: out.stream, tty: false, intervalMs: 5000, now: () => now });
    for (let done = 0; done <= 100; done++) {
      now += 100;
      reporter.emit({ type: 'progress', step: 'import-media', phase: 'extracting', done, total: 100, unit: 'percent' });
    }
    const lines = out.text().trim().split('\n');
    expect(lines).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => `[import-media] extracting: ${p}%`));
    expect(out.text()).not.toContain('\r');
  });

  it('prints a slow phase after the interval even below the next 10 %', () => {
    const out = sink();
    let now = 0;
    const reporter = new ConsoleReporter({ stream: out.stream, tty: false, intervalMs: 5000, now: () => now });
    reporter.emit({ type: 'progress', step: 's', phase: 'p', done: 1, total: 100, unit: 'percent' });
    now = 6000;
    reporter.emit({ type: 'progress', step: 's', phase: 'p', done: 3, total: 100, unit: 'percent' });
    expect(out.text()).toBe('[s] p: 1%\n[s] p: 3%\n');
  });

  it('on a terminal redraws one bar and clears it before the next message', () => {
    const out = sink();
    const reporter = new ConsoleReporter({ stream: out.stream, tty: true });
    reporter.emit({ type: 'progress', step: 'strip-indexes', phase: 'exporting', done: 512, total: 1024, unit: 'bytes' });
    reporter.emit({ type: 'step-finished', step: 'strip-indexes', result: 'succeeded', durationMs: 1500, message: 'done' });
    expect(out.text()).toBe(
      '\r[strip-indexes] exporting [###############---------------]  50% 512 B of 1.0 KiB\x1b[K\r\x1b[K[strip-indexes] succeeded in 1.5s: done\n',
    );
  });

  it('formats sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});
