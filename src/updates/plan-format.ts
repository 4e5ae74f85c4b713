// The plan as text, for the CLI, the Action summary and the logs.
import { describeBootFiles } from '../media/boot/boot-files.ts';
import type { Operation, ServicingPlan } from './plan-types.ts';

const KIND_WORD: Record<string, string> = {
  lcu: 'cumulative update',
  'safe-os': 'Safe OS DU',
  dotnet: '.NET CU',
  'language-pack': 'language pack',
  fod: 'Feature on Demand',
  'optional-component': 'optional component',
  enablement: 'enablement package',
};

const OPERATION_TEXT: { [A in Operation['action']]: (op: Extract<Operation, { action: A }>) => string } = {
  'extract-winre': (op) => `take Winre.wim out of install.wim index ${op.fromIndex}`,
  'add-ssu': (op) =>
    op.entry
      ? `add servicing stack ${op.ssuIdentity.split('~').at(-1)} (${op.entry} from ${op.package.kb} ${fileName(op.package.file)})`
      : `add standalone servicing stack update ${op.package.kb} ${op.ssuIdentity.split('~').at(-1)}`,
  'add-package': (op) =>
    `add ${KIND_WORD[op.package.kind] ?? 'package'} ${op.package.kb} ${op.package.identity.split('~').at(-1)}${op.checkpoints.length ? ` with checkpoint(s) ${op.checkpoints.map((c) => c.kb).join(', ')}` : ''}${op.embeddedSsu ? ` (its servicing stack ${op.embeddedSsu} is installed by DISM first)` : ''}`,
  'replace-winre': () => 'replace Windows/System32/Recovery/Winre.wim with the serviced WinRE',
  cleanup: (op) => `component cleanup (/StartComponentCleanup${op.resetBase ? ' /ResetBase' : ''})`,
  'enable-netfx3': () => 'enable .NET Framework 3.5 (NetFx3) from sources/sxs',
  export: () => 'export the image (drops superseded data)',
  'expand-setup-du': (op) => `expand Setup DU ${op.package.kb} into sources/`,
  'copy-from-boot': (op) => describeBootFiles(op),
};

function fileName(file: string): string {
  return file.split(/[\\/]/).at(-1) ?? file;
}

export function describeOperation(op: Operation): string {
  return (OPERATION_TEXT[op.action] as (o: Operation) => string)(op);
}

/** The plan as a table: one row per target, with its build before and after and the updates it gets. */
export function formatPlanTable(plan: ServicingPlan): string[] {
  const rows = [
    ['target', 'before', 'after', 'operations', 'updates'],
    ...plan.targets.map((t) => [
      t.target,
      t.before ?? '-',
      t.predicted ?? '-',
      String(t.operations.length),
      [...new Set(t.applies.map((a) => a.kb || a.identity))].join(', ') || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
}

/** The plan as text: one block per target, with its predicted build, then what was left out. */
export function formatPlan(plan: ServicingPlan): string[] {
  const lines: string[] = [];
  for (const target of plan.targets) {
    const idle = target.operations.length === 0;
    const build = idle ? (target.before ? `  ${target.before}` : '') : target.predicted ? `  ${target.before ?? '?'} → ${target.predicted}` : '';
    lines.push(`${target.title}${build}${idle ? '  (nothing to do)' : ''}`);
    target.operations.forEach((op, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${describeOperation(op)}`));
    for (const skip of target.skipped) lines.push(`      ${skip.kb || skip.identity ? `skip ${skip.kb || skip.identity}: ` : 'note: '}${skip.reason}`);
  }
  for (const s of plan.superseded) lines.push(`superseded ${s.kb} (${s.identity.split('~').at(-1)}): ${s.reason}`);
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  for (const rejection of plan.rejections) lines.push(`rejected ${rejection.fileName}: ${rejection.reason}`);
  for (const file of plan.unpinned) lines.push(`unpinned ${file}: no SHA-256 pin (recipe or SHA256SUMS)`);
  if (plan.needsDism) lines.push('needs DISM: the image servicing above runs on a Windows runner');
  return lines;
}
