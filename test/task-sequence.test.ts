import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECKS, SCAN_ONLY_SUCCESS, taskSequenceXml, type TaskSequenceOptions } from '../src/configmgr/task-sequence.ts';
import { runStep } from '../src/pipeline/run-step.ts';
import { generateTaskSequence } from '../src/steps/generate-task-sequence.ts';
import { importMedia } from '../src/steps/import-media.ts';
import { MediaError } from '../src/util/errors.ts';
import { readJson, repoRoot, runCli, sampleMedia, tempDir, testContext } from './helpers.ts';

// ConfigMgr's own default in-place upgrade template (shared reference material, beside the repository).
const TEMPLATE = path.resolve(repoRoot, '..', 'shared', 'reference', 'task-sequences', 'default-in-place-upgrade-template.xml');
const base: TaskSequenceOptions = { packageId: 'OPC005ED', editionIndex: 1, scanOnly: false, dynamicUpdate: 'disable', checks: DEFAULT_CHECKS };

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, parseTagValue: false, trimValues: false });

/** Every group, step, variable and condition as a line, in document order: the shape of a task sequence. */
function shape(xml: string): string[] {
  const lines: string[] = [];
  const walk = (nodes: any[], where: string) => {
    for (const node of nodes) {
      const tag = Object.keys(node).find((k) => k !== ':@')!;
      const attrs = node[':@'] ?? {};
      const children = node[tag];
      if (tag === '#text') continue;
      if (tag === 'group') lines.push(`${where}group ${attrs.name} | ${attrs.description}`);
      else if (tag === 'step') lines.push(`${where}step ${attrs.type} | ${attrs.name} | ${attrs.runIn} | ${attrs.successCodeList}`);
      else if (tag === 'action') lines.push(`${where}action ${children.map((c: any) => c['#text']).join('')}`);
      else if (tag === 'variable')
        lines.push(`${where}variable ${attrs.name} ${attrs.property ?? ''}${attrs.hidden ? ' hidden' : ''} = ${children.map((c: any) => c['#text']).join('')}`);
      else if (tag === 'expression') lines.push(`${where}expression ${attrs.type}`);
      else if (tag === 'reference') lines.push(`${where}reference ${attrs.package}`);
      else if (tag === 'sequence') lines.push(`sequence ${attrs.version}`);
      if (Array.isArray(children)) walk(children, tag === 'group' ? `${where}${attrs.name} / ` : where);
    }
  };
  walk(parser.parse(xml), '');
  return lines;
}

describe('task sequence XML', () => {
  it.skipIf(!existsSync(TEMPLATE))(
    "with the defaults, is ConfigMgr's default in-place upgrade template, step for step, plus what the console saves",
    async () => {
      const template = await readFile(TEMPLATE, 'utf8');
      // The wizard template lacks InstallPath and StagedContent, which every console-saved Upgrade OS step
      // carries (real exports 02 and 05): the only difference.
      const saved = /OSDUpgrade(InstallPath|StagedContent) /;
      expect(shape(taskSequenceXml(base)).filter((l) => !saved.test(l))).toEqual(shape(template));
      expect(shape(taskSequenceXml(base)).filter((l) => saved.test(l))).toEqual([
        'Upgrade the Operating System / variable OSDUpgradeInstallPath InstallPath = ',
        'Upgrade the Operating System / variable OSDUpgradeStagedContent StagedContent = ',
      ]);
      expect(shape(template).length).toBeGreaterThan(50); // the comparison really covers the template
    },
  );

  it('points at the package and the edition', () => {
    const lines = shape(taskSequenceXml({ ...base, packageId: 'P0100ABC', editionIndex: 3 }));
    expect(lines).toContain('reference P0100ABC');
    expect(lines).toContain('Upgrade the Operating System / variable OSDUpgradeInstallPackageID InstallPackageID = P0100ABC');
    expect(lines).toContain('Upgrade the Operating System / variable OSDUpgradeInstallEditionIndex InstallEditionIndex = 3');
  });

  it("scan only: continue on error, then a Run Command Line step fails the sequence with Setup's code unless it is 0xC1900210", () => {
    const xml = taskSequenceXml({ ...base, scanOnly: true });
    const lines = shape(xml);
    expect(lines).toContain('Upgrade the Operating System / variable OSDUpgradeScanOnly ScanOnly = true');
    // Not hidden in successCodeList (real export 02: successCodeList "0", continueOnError "true").
    expect(lines).toContain(
      'Upgrade the Operating System / step SMS_TaskSequence_UpgradeOperatingSystemAction | Upgrade Operating System (compatibility scan only) | FullOS | 0',
    );
    expect(xml).toMatch(/<step type="SMS_TaskSequence_UpgradeOperatingSystemAction" name="[^"]*" description="" continueOnError="true" runIn="FullOS"/);
    const upgrade = lines.findIndex((l) => l.includes('SMS_TaskSequence_UpgradeOperatingSystemAction'));
    const result = lines.findIndex((l) => l.includes('SMS_TaskSequence_RunCommandLineAction'));
    expect(result).toBeGreaterThan(upgrade);
    // memdocs "Perform an inline compatibility assessment": the command and its condition.
    expect(lines.slice(result - 0, result + 9)).toEqual([
      'Upgrade the Operating System / step SMS_TaskSequence_RunCommandLineAction | Report the compatibility scan result | WinPEandFullOS | 0',
      'Upgrade the Operating System / expression SMS_TaskSequence_VariableConditionExpression',
      'Upgrade the Operating System / variable Operator  = notequals',
      `Upgrade the Operating System / variable Value  = ${SCAN_ONLY_SUCCESS}`,
      'Upgrade the Operating System / variable Variable  = _SMSTSOSUpgradeActionReturnCode',
      'Upgrade the Operating System / action smsswd.exe /run: cmd /c exit %_SMSTSOSUpgradeActionReturnCode%',
      'Upgrade the Operating System / variable CommandLine CommandLine hidden = cmd /c exit %_SMSTSOSUpgradeActionReturnCode%',
      'Upgrade the Operating System / variable SMSTSDisableWow64Redirection DisableWow64Redirection = false',
      'Upgrade the Operating System / variable _SMSTSRunCommandLineAsUser RunAsUser = false',
    ]);
    expect(SCAN_ONLY_SUCCESS).toBe(String(0xc1900210));
    expect(lines.some((l) => l.includes('SMS_TaskSequence_RebootAction'))).toBe(false);
    expect(lines).toContain(`Run Actions on Failure / variable Value  = ${SCAN_ONLY_SUCCESS}`);
  });

  it('setup options: a Set Task Sequence Variable step before the upgrade, exactly as the console writes one', async () => {
    const hostile = '/PostRollback "C:\\Temp & <x>" /DiagnosticPrompt Enable';
    const xml = taskSequenceXml({ ...base, setupOptions: hostile });
    const lines = shape(xml);
    const setVar = lines.indexOf('Upgrade the Operating System / step SMS_TaskSequence_SetVariableAction | Set Windows Setup options | WinPEandFullOS | 0');
    const upgrade = lines.findIndex((l) => l.includes('SMS_TaskSequence_UpgradeOperatingSystemAction'));
    expect(setVar).toBeGreaterThan(-1);
    expect(setVar).toBeLessThan(upgrade);
    expect(lines.slice(setVar + 1, setVar + 5)).toEqual([
      `Upgrade the Operating System / action tsenv.exe "OSDSetupAdditionalUpgradeOptions=${hostile}" /hiddenflag:False`,
      'Upgrade the Operating System / variable DoNotShowVariableValue DoNotShowVariableValue hidden = false',
      'Upgrade the Operating System / variable VariableName VariableName hidden = OSDSetupAdditionalUpgradeOptions',
      `Upgrade the Operating System / variable VariableValue VariableValue hidden = ${hostile}`,
    ]);
    // Byte for byte the shape of Microsoft's own sample step for this variable (real export 03).
    const sample = path.resolve(
      repoRoot,
      '..',
      'shared',
      'reference',
      'task-sequences',
      'real-exports',
      '03_hub-firstparty_Command-line-options-for-OS-Upgrade.xml',
    );
    if (existsSync(sample)) {
      const text = await readFile(sample, 'utf8');
      const real = /<step type="SMS_TaskSequence_SetVariableAction" name="Enable Shift-F10[^"]*" description="[^"]*"( .*?)<\/step>/s.exec(text)![1]!;
      const ours = /<step type="SMS_TaskSequence_SetVariableAction" name="Set Windows Setup options" description=""( .*?)<\/step>/s.exec(
        taskSequenceXml({ ...base, setupOptions: '/DiagnosticPrompt Enable' }),
      )![1]!;
      expect(ours).toBe(real);
    }
  });

  it('dynamic update and readiness checks', () => {
    const lines = shape(
      taskSequenceXml({
        ...base,
        dynamicUpdate: 'override',
        checks: { ...DEFAULT_CHECKS, osType: 'SERVER', freeDiskSpaceMB: 40960, checkProcessorSpeed: false },
      }),
    );
    expect(lines).toContain('Upgrade the Operating System / variable OSDUpgradeDynamicUpdateSettings DynamicUpdateSettings = OveridePolicy');
    expect(lines).toContain('Prepare for Upgrade / variable OSDOSType OSType = SERVER');
    expect(lines).toContain('Prepare for Upgrade / variable OSDFreeDiskSpace FreeDiskSpace = 40960');
    expect(lines).toContain('Prepare for Upgrade / variable OSDCheckProcessorSpeed CheckProcessorSpeed = false');
  });
});

describe('generate-task-sequence on the sample media', () => {
  async function imported() {
    const sample = await sampleMedia();
    const workspace = path.join(await tempDir(), 'ws');
    await runStep(importMedia, { source: sample.isoPath }, testContext(workspace), 'test');
    return workspace;
  }

  it('needs an edition when there are several, refuses one the media does not hold, writes XML and a summary', async () => {
    const workspace = await imported();
    const several = await runCli(['generate-task-sequence', '--workspace', workspace]);
    expect(several.exitCode).toBe(2);
    expect(several.stderr).toMatch(/install\.wim holds 4 images: say which edition/);
    const missing = await runCli(['generate-task-sequence', '--workspace', workspace, '--edition', 'EnterpriseS']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/No image in install\.wim matches "EnterpriseS"/);

    const placeholder = await runCli(['generate-task-sequence', '--workspace', workspace, '--edition', 'Enterprise', '--json']);
    expect(placeholder.exitCode, placeholder.stderr).toBe(0);
    expect(placeholder.stderr).toMatch(/warning: no --package-id: the task sequence points at the placeholder XXX00000/);
    expect(placeholder.json().summary).toMatchObject({ placeholder: true, packageId: 'XXX00000', editionIndex: 2, edition: 'Windows 11 Enterprise' });

    const real = await runCli([
      'generate-task-sequence',
      '--workspace',
      workspace,
      '--edition',
      'Enterprise',
      '--package-id',
      'p0100123',
      '--scan-only',
      '--json',
    ]);
    expect(real.exitCode, real.stderr).toBe(0);
    const xml = await readFile(path.join(workspace, 'ts', 'osmedia-upgrade.xml'), 'utf8');
    expect(shape(xml)).toContain('Upgrade the Operating System / variable OSDUpgradeInstallPackageID InstallPackageID = P0100123');
    expect(shape(xml)).toContain('Upgrade the Operating System / variable OSDUpgradeInstallEditionIndex InstallEditionIndex = 2');
    const script = await readFile(path.join(workspace, 'ts', 'osmedia-upgrade.ps1'), 'utf8');
    expect(script).toMatch(/^\uFEFF#Requires -Version 5\.1\r\n/);
    expect(script).toContain("$PackageId = 'P0100123'\r\n$EditionIndex = 2\r\n");
    const summary = await readFile(path.join(workspace, 'ts', 'osmedia-upgrade.txt'), 'utf8');
    // The sample media is build 26100 (Windows 11): Windows 10 and 11 upgrade to it in place, nothing older.
    expect(summary).toMatch(/Supported upgrades: Windows 10 \(version 2004 or later, .*\) and earlier Windows 11 releases, in place to this Windows 11 media/);
    expect(summary).not.toMatch(/Windows 7, 8\.1/);
    // Recorded in the manifest, as a step that does not change the media.
    const manifest = await readJson(path.join(workspace, 'osmedia-manifest.json'));
    expect(manifest.history.at(-1)).toMatchObject({ step: 'generate-task-sequence', effect: 'external', summary: { packageId: 'P0100123', scanOnly: true } });
    const bad = await runCli(['generate-task-sequence', '--workspace', workspace, '--edition', '2', '--package-id', 'NOT-AN-ID']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--package-id: a ConfigMgr package ID/);
  });

  it('refuses an image whose architecture or languages the manifest does not record', async () => {
    const workspace = await imported();
    const manifestPath = path.join(workspace, 'osmedia-manifest.json');
    const manifest = await readJson(manifestPath);
    manifest.installWim.images[1].languages = [];
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expect(runStep(generateTaskSequence, { edition: 'Enterprise' }, testContext(workspace), 'test')).rejects.toThrow(MediaError);
    await expect(runStep(generateTaskSequence, { edition: 'Enterprise' }, testContext(workspace), 'test')).rejects.toThrow(/records no language for image 2/);
  });
});
