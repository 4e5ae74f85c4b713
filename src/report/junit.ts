// JUnit XML for Jenkins' `junit` step (and any CI that reads it): one test case per step, with
// what the step did (images kept, files verified…) in its system-out, and a failure that carries
// the error message, the fix and the tool log's path. Built from the run's events.
import { hostname } from 'node:os';
import type { OsmediaEvent } from '../util/events.ts';
import { formatBytes } from '../util/events.ts';
import { buildXml, el } from '../util/xml.ts';

type Summary = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const image = (i: Summary) => `${i.index}: ${i.name} [${i.editionId}]${i.version ? ` ${i.version}` : ''}`;

/** The sub-results of a step as lines a person reads in Jenkins' test report. */
export function describeSummary(step: string, summary: Summary | undefined): string[] {
  if (!summary || Object.keys(summary).length === 0) return [];
  switch (step) {
    case 'import-media':
      return [
        `images: ${(summary.images ?? []).map(image).join('; ')}`,
        `files: ${summary.files} (${formatBytes(summary.bytes ?? 0)}) from ${summary.sourceKind} (install.${summary.installKind})`,
      ];
    case 'strip-indexes':
      return [
        `images kept: ${(summary.kept ?? []).map((i: Summary) => (typeof i === 'number' ? String(i) : image(i))).join('; ')}`,
        `images removed: ${(summary.removed ?? []).map(image).join('; ') || 'none'}`,
        `bytes saved: ${formatBytes(summary.bytesSaved ?? 0)}`,
      ];
    case 'apply-updates':
      return [
        ...(summary.targets ?? []).map(
          (t: Summary) => `${t.title}: ${t.before ?? '-'} → ${t.predicted ?? '-'}; updates applied: ${(t.applies ?? []).join(', ') || 'none'}`,
        ),
        ...(summary.verified ?? []).map((v: string) => `verified: ${v}`),
        ...(summary.failures ?? []).map((f: Summary) => `failed (continue-on-error) ${f.target}: ${f.message}`),
        ...(summary.rejected ?? []).map((r: Summary) => `rejected ${r.fileName}: ${r.reason}`),
        ...(summary.superseded ?? []).map((s: Summary) => `superseded ${s.kb}: ${s.reason}`),
        ...(summary.warnings ?? []).map((w: string) => `warning: ${w}`),
      ];
    case 'stamp-build-file':
      return [
        `build: ${summary.build}`,
        `build file: ${summary.file} (+ ${summary.json})`,
        `removed: ${(summary.removed ?? []).join(', ') || 'nothing'}`,
        `recipe revision: ${summary.recipeRevision}`,
      ];
    case 'distribute':
      return (summary.targets ?? []).map(
        (t: Summary) =>
          `target ${t.target}: ${t.action} ${t.version}; files copied ${t.filesCopied}, linked ${t.filesLinked}, unchanged ${t.filesSkipped}; files verified ${t.verified?.files ?? 0} (${t.verified?.ok ? 'ok' : 'not verified'})`,
      );
    default:
      return [JSON.stringify(summary)];
  }
}

interface Case {
  name: string;
  seconds: number;
  result: 'succeeded' | 'skipped' | 'failed';
  message?: string;
  lines: string[];
  error?: { type: string; message: string; fix?: string; logPath?: string };
}

/**
 * Renders the events of one osmedia command as a JUnit report. `failure` is the error that ended
 * the command, when it ended before (or outside) any step.
 */
export function renderJUnit(options: {
  command: string;
  events: readonly OsmediaEvent[];
  startedAt: Date;
  durationMs: number;
  failure?: { type: string; message: string; fix?: string; logPath?: string };
  properties?: Record<string, string | undefined>;
}): string {
  const cases: Case[] = [];
  for (const event of options.events) {
    if (event.type !== 'step-finished') continue;
    cases.push({
      name: event.step,
      seconds: event.durationMs / 1000,
      result: event.result,
      message: event.message,
      lines: describeSummary(event.step, event.summary),
      error: event.error,
    });
  }
  if (options.failure && !cases.some((c) => c.result === 'failed')) {
    cases.push({ name: options.command, seconds: options.durationMs / 1000, result: 'failed', lines: [], error: options.failure });
  }
  const failures = cases.filter((c) => c.result === 'failed').length;
  const skipped = cases.filter((c) => c.result === 'skipped').length;
  const time = (options.durationMs / 1000).toFixed(3);
  const props = Object.entries(options.properties ?? {}).filter(([, v]) => v !== undefined);
  const testcases = cases.map((c) => {
    const detail =
      c.error && [c.error.message, c.error.fix ? `fix: ${c.error.fix}` : '', c.error.logPath ? `log: ${c.error.logPath}` : ''].filter(Boolean).join('\n');
    const out = [c.message ? `${c.result}: ${c.message}` : c.result, ...c.lines].join('\n');
    return el(
      'testcase',
      { classname: `osmedia.${c.name}`, name: c.name, time: c.seconds.toFixed(3) },
      c.result === 'skipped' && el('skipped', { message: c.message ?? 'skipped' }),
      c.result === 'failed' && c.error && el('failure', { type: c.error.type, message: c.error.message.split('\n')[0]! }, detail || ''),
      el('system-out', {}, out),
    );
  });
  const suite = el(
    'testsuite',
    {
      name: `osmedia ${options.command}`,
      tests: cases.length,
      failures,
      errors: 0,
      skipped,
      time,
      timestamp: options.startedAt.toISOString().slice(0, 19),
      hostname: hostname(),
    },
    props.length > 0 &&
      el(
        'properties',
        {},
        props.map(([name, value]) => el('property', { name, value: value! })),
      ),
    testcases,
  );
  return buildXml(el('testsuites', { name: 'osmedia', tests: cases.length, failures, errors: 0, time }, suite), { indent: true, declaration: true });
}
