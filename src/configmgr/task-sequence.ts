// The in-place upgrade task sequence, in ConfigMgr's own <sequence version="3.10"> format, shaped
// like the console's default "Upgrade an operating system from an upgrade package" template:
// Prepare for Upgrade (Check Readiness), Upgrade the Operating System (Upgrade OS, then Restart
// Computer into the installed OS), Post-Processing and Rollback (conditions on _SMSTSSetupRollback)
// and Run Actions on Failure (_SMSTSOSUpgradeActionReturnCode not 0). Pure: options in, XML out,
// built as an element tree and written by util/xml.ts.
// Where the wizard template and the real console exports in shared/reference/task-sequences/
// real-exports differ, the exports win (their SOURCE.md says where each came from):
//   - Set Task Sequence Variable: successCodeList "0", action `tsenv.exe "NAME=VALUE" /hiddenflag:False`,
//     defaultVarList DoNotShowVariableValue, VariableName, VariableValue, all hidden="true"
//     (every such step in 02, 03 and 05; 03 is Microsoft's own sample for OSDSetupAdditionalUpgradeOptions).
//   - Upgrade Operating System as the console saves it carries OSDUpgradeInstallPath (InstallPath) and
//     OSDUpgradeStagedContent (StagedContent), empty unless used (02, 05; 04 sets InstallPath).
//   - Compatibility scan only: the Upgrade step has continueOnError="true" and successCodeList "0"
//     (02), and the next step, Run Command Line `cmd /c exit %_SMSTSOSUpgradeActionReturnCode%` on
//     the condition _SMSTSOSUpgradeActionReturnCode not equals 3247440400 (0xC1900210, the scan
//     passed), turns any other code into the task sequence's failure (memdocs
//     create-a-task-sequence-to-upgrade-an-operating-system.md, "Perform an inline compatibility
//     assessment"). The code is not hidden in a successCodeList.
import { buildXml, el, type XmlElement } from '../util/xml.ts';

/** The package ID used until the upgrade package exists on a site: clearly not a real one. */
export const PLACEHOLDER_PACKAGE_ID = 'XXX00000';

/** Windows Setup's /Compat ScanOnly success code, 0xC1900210 (MOSETUP_E_COMPAT_SCANONLY), as ConfigMgr sees it. */
export const SCAN_ONLY_SUCCESS = '3247440400';

/**
 * What the media upgrades in place, from its build (image.version 10.0.<build>.<ubr>) and type:
 *   - Windows 11 (client build 22000 and later): Windows 10 version 2004 or later with the
 *     September 14, 2021 security update or later (Microsoft Learn, "Windows 11 requirements", OS
 *     requirements), and earlier Windows 11 releases ("Windows upgrade paths": any General
 *     Availability Channel version to a newer supported one).
 *   - Windows 10 (client builds before 22000): earlier Windows 10 releases ("Windows upgrade paths");
 *     that page covers only versions still supported, which Windows 7 and 8.1 are not.
 *   - Windows Server: the paths depend on the source version and edition; osmedia states none.
 */
export function supportedUpgrades(version: string, installationType: string): string {
  const build = Number(version.split('.')[2] ?? 0);
  if (/server/i.test(installationType)) {
    return "Supported upgrades: Windows Server in-place upgrade paths depend on the source version and edition; check Microsoft's Windows Server upgrade paths before deploying.";
  }
  if (build >= 22000) {
    return 'Supported upgrades: Windows 10 (version 2004 or later, with the September 14, 2021 security update or later) and earlier Windows 11 releases, in place to this Windows 11 media (Microsoft Learn: Windows 11 requirements; Windows upgrade paths). Windows 7 and 8.1 cannot upgrade in place to it.';
  }
  return 'Supported upgrades: earlier Windows 10 releases, in place to this Windows 10 media (Microsoft Learn: Windows upgrade paths, which covers only versions still supported; Windows 7 and 8.1 are not).';
}

export interface ReadinessChecks {
  freeDiskSpaceMB: number;
  memoryMB: number;
  processorSpeedMHz: number;
  osType: 'CLIENT' | 'SERVER';
  checkFreeDiskSpace: boolean;
  checkMemory: boolean;
  checkOSType: boolean;
  checkProcessorSpeed: boolean;
}

export const DEFAULT_CHECKS: ReadinessChecks = {
  freeDiskSpaceMB: 25600,
  memoryMB: 2048,
  processorSpeedMHz: 1024,
  osType: 'CLIENT',
  checkFreeDiskSpace: true,
  checkMemory: true,
  checkOSType: true,
  checkProcessorSpeed: true,
};

/** Values of the Upgrade OS step's DynamicUpdateSettings (the WMI class's ValueMap spelling). */
export const DYNAMIC_UPDATE = { disable: 'Disable', policy: 'UsingPolicy', override: 'OveridePolicy' } as const;

export interface TaskSequenceOptions {
  packageId: string;
  editionIndex: number;
  scanOnly: boolean;
  dynamicUpdate: keyof typeof DYNAMIC_UPDATE;
  checks: ReadinessChecks;
  /** Extra Windows Setup options, set in OSDSetupAdditionalUpgradeOptions before the upgrade. */
  setupOptions?: string;
}

const v = (name: string, property: string, value: string | number | boolean, hidden = false) =>
  el('variable', { name, property, hidden: hidden ? 'true' : undefined }, String(value));

interface StepOptions {
  continueOnError?: boolean;
  successCodeList?: string;
  condition?: XmlElement;
}

const step = (type: string, name: string, runIn: string, action: string, vars: XmlElement[], o: StepOptions = {}) =>
  el(
    'step',
    {
      type,
      name,
      description: '',
      continueOnError: o.continueOnError ? 'true' : undefined,
      runIn,
      successCodeList: o.successCodeList ?? '0',
      retryCount: '0',
      runFromNet: 'false',
    },
    o.condition,
    el('action', {}, action),
    el('defaultVarList', {}, vars),
  );

const group = (name: string, description: string, ...inner: (XmlElement | false | undefined)[]) => el('group', { name, description }, ...inner);

const condition = (variable: string, operator: string, value: string) =>
  el(
    'condition',
    {},
    el(
      'expression',
      { type: 'SMS_TaskSequence_VariableConditionExpression' },
      el('variable', { name: 'Operator' }, operator),
      el('variable', { name: 'Value' }, value),
      el('variable', { name: 'Variable' }, variable),
    ),
  );

function readinessStep(c: ReadinessChecks): XmlElement {
  return step('SMS_TaskSequence_PrestartCheckAction', 'Check Readiness for Upgrade', 'WinPEandFullOS', 'OSDPrestartCheck.exe ', [
    v('OSDCheckCMClientMinVersion', 'CheckCMClientMinVersion', false),
    v('OSDCheckDeviceUEFI', 'CheckDeviceUEFI', false),
    v('OSDCheckFreeDiskSpace', 'CheckFreeDiskSpace', c.checkFreeDiskSpace),
    v('OSDCheckMaxOsVersion', 'CheckMaxOSVersion', false),
    v('OSDCheckMemory', 'CheckMemory', c.checkMemory),
    v('OSDCheckMinOSVersion', 'CheckMinOSVersion', false),
    v('OSDCheckNetworkConnected', 'CheckNetworkConnected', false),
    v('OSDCheckNetworkWired', 'CheckNetworkWired', false),
    v('OSDCheckOSArchitecture', 'CheckOSArchitecture', false),
    v('OSDCheckOSLanguageID', 'CheckOSLanguageID', false),
    v('OSDCheckOSType', 'CheckOSType', c.checkOSType),
    v('OSDCheckPowerState', 'CheckPowerState', false),
    v('OSDCheckProcessorSpeed', 'CheckProcessorSpeed', c.checkProcessorSpeed),
    v('OSDFreeDiskSpace', 'FreeDiskSpace', c.freeDiskSpaceMB),
    v('OSDMemory', 'Memory', c.memoryMB),
    v('OSDOSArchitecture', 'OSArchitecture', 64),
    v('OSDOSLanguageID', 'OSLanguageID', 1033),
    v('OSDOSType', 'OSType', c.osType),
    v('OSDProcessorSpeed', 'ProcessorSpeed', c.processorSpeedMHz),
  ]);
}

function upgradeStep(o: TaskSequenceOptions): XmlElement {
  return step(
    'SMS_TaskSequence_UpgradeOperatingSystemAction',
    o.scanOnly ? 'Upgrade Operating System (compatibility scan only)' : 'Upgrade Operating System',
    'FullOS',
    'OSDUpgradeOS.exe ',
    [
      v('OSDUpgradeDynamicUpdateSettings', 'DynamicUpdateSettings', DYNAMIC_UPDATE[o.dynamicUpdate]),
      v('OSDUpgradeIgnoreMessages', 'IgnoreMessages', false),
      v('OSDUpgradeInstallEditionIndex', 'InstallEditionIndex', o.editionIndex),
      v('OSDUpgradeInstallPackageID', 'InstallPackageID', o.packageId),
      v('OSDUpgradeInstallPath', 'InstallPath', ''),
      v('OSDUpgradeOsProductKey', 'OsProductKey', ''),
      v('OSDUpgradePreserveSettings', 'PreserveSettings', 'Upgrade'),
      v('OSDUpgradeScanOnly', 'ScanOnly', o.scanOnly),
      v('OSDUpgradeStagedContent', 'StagedContent', ''),
    ],
    // Scan only: continue on error, so the next step can turn Setup's code into the result.
    { continueOnError: o.scanOnly },
  );
}

/** Scan only: fails the task sequence with Windows Setup's own code unless the scan passed. */
export const SCAN_RESULT_COMMAND = 'cmd /c exit %_SMSTSOSUpgradeActionReturnCode%';
const scanResultStep = () =>
  step(
    'SMS_TaskSequence_RunCommandLineAction',
    'Report the compatibility scan result',
    'WinPEandFullOS',
    `smsswd.exe /run: ${SCAN_RESULT_COMMAND}`,
    [
      v('CommandLine', 'CommandLine', SCAN_RESULT_COMMAND, true),
      v('SMSTSDisableWow64Redirection', 'DisableWow64Redirection', false),
      v('_SMSTSRunCommandLineAsUser', 'RunAsUser', false),
      v('SuccessCodes', 'SuccessCodes', '0', true),
    ],
    { condition: condition('_SMSTSOSUpgradeActionReturnCode', 'notequals', SCAN_ONLY_SUCCESS) },
  );

/** A Set Task Sequence Variable step as the console writes it (see the header). */
export function setVariableStep(stepName: string, variable: string, value: string): XmlElement {
  return step('SMS_TaskSequence_SetVariableAction', stepName, 'WinPEandFullOS', `tsenv.exe "${variable}=${value}" /hiddenflag:False`, [
    v('DoNotShowVariableValue', 'DoNotShowVariableValue', false, true),
    v('VariableName', 'VariableName', variable, true),
    v('VariableValue', 'VariableValue', value, true),
  ]);
}

const restartStep = () =>
  step('SMS_TaskSequence_RebootAction', 'Restart Computer', 'WinPEandFullOS', 'smsboot.exe /target:HD', [
    v('SMSRebootMessage', 'Message', 'Microsoft Windows operating system is being upgraded. The computer must reboot to continue.'),
    v('SMSRebootTimeout', 'MessageTimeout', 10),
    v('SMSRebootTarget', 'Target', 'HD', true),
  ]);

/** The task sequence XML. A scan-only variant runs the compatibility scan, reports its result and does not restart. */
export function taskSequenceXml(o: TaskSequenceOptions): string {
  if (!Number.isInteger(o.editionIndex) || o.editionIndex < 1) throw new Error(`invalid edition index ${o.editionIndex}`);
  const prepare = group(
    'Prepare for Upgrade',
    'Actions to run in full OS to prepare for upgrade of the operating system.',
    readinessStep(o.checks),
    group('Battery Checks', 'Add steps in this group to check whether the computer is using battery, or wired power'),
    group(
      'Network/Wired Connection Checks',
      'Add steps in this group to check whether the computer is connected to a network, and is not using a wireless connection',
    ),
    group('Remove incompatible applications', 'Add steps in this group to remove any applications that are incompatible with this version of Windows 10'),
    group('Remove incompatible drivers', 'Add steps in this group to remove any drivers that are incompatible with this version of Windows 10'),
    group('Remove/suspend third-party security', 'Add steps in this group to remove or suspend third-party security programs, such as antivirus'),
  );
  const upgrade = group(
    'Upgrade the Operating System',
    '',
    o.setupOptions !== undefined && setVariableStep('Set Windows Setup options', 'OSDSetupAdditionalUpgradeOptions', o.setupOptions),
    upgradeStep(o),
    o.scanOnly ? scanResultStep() : restartStep(),
  );
  const post = el(
    'group',
    { name: 'Post-Processing', description: 'Run tasks after the operating system upgrades and the computer restarts' },
    condition('_SMSTSSetupRollback', 'equals', 'false'),
    group('Apply setup-based drivers', 'Add steps in this group to install setup-based drivers (.exe) from packages'),
    group('Install/enable third-party security', 'Add steps in this group to install or enable third-party security programs, such as antivirus'),
    group('Set Windows default apps and associations', 'Add steps in this group to set Windows default apps and file associations'),
    group('Apply customizations and personalizations', 'Add steps in this group to apply Start menu customizations, such as organizing program groups'),
  );
  const rollback = group('Rollback', 'Run tasks if the upgrade fails and the operating system rolls back', condition('_SMSTSSetupRollback', 'equals', 'true'));
  const failure = group(
    'Run Actions on Failure',
    'Run tasks if OS upgrade fails to gather logs and run diagnostic tools',
    condition('_SMSTSOSUpgradeActionReturnCode', 'notequals', o.scanOnly ? SCAN_ONLY_SUCCESS : '0'),
    group('Collect Logs', 'Save Windows Setup and Task Sequence logs to a Network Share'),
    group('Run Diagnostic Tools', 'Run Diagnostic Tools'),
  );
  return buildXml(
    el('sequence', { version: '3.10' }, el('referenceList', {}, el('reference', { package: o.packageId })), prepare, upgrade, post, rollback, failure),
  );
}
