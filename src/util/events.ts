// Steps emit typed events; renderers decide how a person or a machine sees them.
// Steps never print: that keeps the CLI, the Action and Jenkins thin adapters over the same code.

export type StepResult = 'succeeded' | 'skipped' | 'failed';

export type OsmediaEvent =
  | { type: 'step-started'; step: string; title: string }
  | {
      type: 'progress';
      step: string;
      /** What is being done, stable for the whole phase ("copying to D:\\pkg"): renderers key on it. */
      phase: string;
      done: number;
      total: number;
      unit: 'bytes' | 'percent';
      /** What changes while it runs (files done, MiB/s): shown with a line, never a reason to print one. */
      detail?: string;
    }
  | { type: 'info'; step?: string; message: string }
  | { type: 'warning'; step?: string; message: string }
  | {
      type: 'step-finished';
      step: string;
      result: StepResult;
      durationMs: number;
      message?: string;
      /** What the step did, for reports (images kept, files verified…). */
      summary?: Record<string, unknown>;
      /** Why it failed, for reports: the message, the fix, and a tool's log. */
      error?: { type: string; message: string; fix?: string; logPath?: string };
    };

export interface Reporter {
  emit(event: OsmediaEvent): void;
}

/** Keeps every event, for tests and for building summaries afterwards. */
export class CollectingReporter implements Reporter {
  readonly events: OsmediaEvent[] = [];
  emit(event: OsmediaEvent): void {
    this.events.push(event);
  }
  messages(type: 'info' | 'warning'): string[] {
    return this.events.flatMap((e) => (e.type === type ? [e.message] : []));
  }
}

/** Sends each event to several reporters. */
export function fanOut(...reporters: Reporter[]): Reporter {
  return { emit: (event) => reporters.forEach((r) => r.emit(event)) };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

interface ConsoleOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw a bar in place (a terminal) instead of printing periodic lines (a CI log). */
  tty: boolean;
  /** In plain mode, the least time between two progress lines of one phase. */
  intervalMs?: number;
  now?: () => number;
}

/**
 * Human output on stderr. On a TTY, progress is one bar redrawn with `\r`; in CI logs,
 * where `\r` makes a mess, it is a plain line every 10 % or every 5 s (and at 100 %) per step
 * and phase. Only the step, the phase and the time decide when a line is due: `detail`
 * (file counts, speed) rides along, so a phase of any size prints at most about 11 lines plus one per 5 s.
 */
export class ConsoleReporter implements Reporter {
  private readonly options: Required<Omit<ConsoleOptions, 'stream'>> & Pick<ConsoleOptions, 'stream'>;
  private barShown = false;
  private lastLine = new Map<string, { at: number; percent: number }>();

  constructor(options: ConsoleOptions) {
    this.options = { intervalMs: 5000, now: Date.now, ...options };
  }

  emit(event: OsmediaEvent): void {
    if (event.type === 'progress') return this.progress(event);
    this.clearBar();
    const prefix = 'step' in event && event.step ? `[${event.step}] ` : '';
    switch (event.type) {
      case 'step-started':
        return this.write(`${prefix}${event.title}\n`);
      case 'info':
        return this.write(`${prefix}${event.message}\n`);
      case 'warning':
        return this.write(`${prefix}warning: ${event.message}\n`);
      case 'step-finished': {
        const seconds = (event.durationMs / 1000).toFixed(1);
        return this.write(`${prefix}${event.result} in ${seconds}s${event.message ? `: ${event.message}` : ''}\n`);
      }
    }
  }

  private progress(event: Extract<OsmediaEvent, { type: 'progress' }>): void {
    const percent = event.total > 0 ? Math.min(100, Math.floor((event.done / event.total) * 100)) : 0;
    const amount = `${event.unit === 'bytes' ? ` ${formatBytes(event.done)} of ${formatBytes(event.total)}` : ''}${event.detail ? ` (${event.detail})` : ''}`;
    if (this.options.tty) {
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
      this.write(`\r[${event.step}] ${event.phase} [${bar}] ${String(percent).padStart(3)}%${amount}\x1b[K`);
      this.barShown = true;
      return;
    }
    const key = `${event.step}/${event.phase}`;
    const now = this.options.now();
    const last = this.lastLine.get(key);
    const due =
      !last || percent >= last.percent + 10 || (now - last.at >= this.options.intervalMs && percent > last.percent) || (percent === 100 && last.percent < 100);
    if (!due) return;
    this.lastLine.set(key, { at: now, percent });
    this.write(`[${event.step}] ${event.phase}: ${percent}%${amount}\n`);
  }

  private clearBar(): void {
    if (this.barShown) {
      this.write('\r\x1b[K');
      this.barShown = false;
    }
  }

  private write(text: string): void {
    this.options.stream.write(text);
  }
}
