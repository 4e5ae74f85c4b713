// The in-place upgrade task sequence, in ConfigMgr's own <sequence version="3.10"> format, shaped
// like the console's default "Upgrade an operating system from an upgrade package" template:
// Prepare for Upgrade (Check Readiness), Upgrade the Operating System (Upgrade OS, then Restart
// Computer into the installed OS), Post-Processing and Rollback (conditions on _SMSTSSetupRollback)
// and Run Actions on Failure (_SMSTSOSUpgradeActionReturnCode not 0). Pure: options in, XML out.
import { xmlEscape } from '../report/junit.ts';

/** The package ID used until the upgrade package exists on a site: clearly not a real one. */
export const PLACEHOLDER_PACKAGE_ID = 'XXX00000';

/** Windows Setup's /Compat ScanOnly success code, 0xC1900210 (MOSETUP_E_COMPAT_SCANONLY), as ConfigMgr sees it. */
export const SCAN_ONLY_SUCCESS = '3247440400';

export const SUPPORTED_UPGRADES =
  "Supported upgrades: Windows 7, 8.1, 10 and 11 clients to Windows 10 or 11; Windows Server 2012 and later to Server 2016, 2019, 2022 and 2025 (check Microsoft's upgrade paths for editions and channels).";

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
  `<variable name="${name}" property="${property}"${hidden ? ' hidden="true"' : ''}>${xmlEscape(String(value))}</variable>`;

const step = (type: string, name: string, runIn: string, action: string, vars: string[], extra = '') =>
  `<step type="${type}" name="${xmlEscape(name)}" description="" runIn="${runIn}" successCodeList="0${extra}" retryCount="0" runFromNet="false"><action>${xmlEscape(action)}</action><defaultVarList>${vars.join('')}</defaultVarList></step>`;

const group = (name: string, description: string, inner = '') =>
  inner ? `<group name="${name}" description="${description}">${inner}</group>` : `<group name="${name}" description="${description}"/>`;

const condition = (variable: string, operator: string, value: string) =>
  `<condition><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">${operator}</variable><variable name="Value">${value}</variable><variable name="Variable">${variable}</variable></expression></condition>`;

function readinessStep(c: ReadinessChecks): string {
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

function upgradeStep(o: TaskSequenceOptions): string {
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
      v('OSDUpgradeOsProductKey', 'OsProductKey', ''),
      v('OSDUpgradePreserveSettings', 'PreserveSettings', 'Upgrade'),
      v('OSDUpgradeScanOnly', 'ScanOnly', o.scanOnly),
    ],
    // A compatibility scan that finds no issue "fails" with 0xC1900210: that is its success.
    o.scanOnly ? ` ${SCAN_ONLY_SUCCESS}` : '',
  );
}

function setupOptionsStep(options: string): string {
  return step(
    'SMS_TaskSequence_SetVariableAction',
    'Set Windows Setup options',
    'WinPEandFullOS',
    `tsenv.exe "OSDSetupAdditionalUpgradeOptions=${options}"`,
    [v('VariableName', 'VariableName', 'OSDSetupAdditionalUpgradeOptions'), v('VariableValue', 'VariableValue', options)],
    ' 3010',
  );
}

const restartStep = step('SMS_TaskSequence_RebootAction', 'Restart Computer', 'WinPEandFullOS', 'smsboot.exe /target:HD', [
  v('SMSRebootMessage', 'Message', 'Microsoft Windows operating system is being upgraded. The computer must reboot to continue.'),
  v('SMSRebootTimeout', 'MessageTimeout', 10),
  v('SMSRebootTarget', 'Target', 'HD', true),
]);

/** The task sequence XML. A scan-only variant runs the compatibility scan and does not restart. */
export function taskSequenceXml(o: TaskSequenceOptions): string {
  if (!Number.isInteger(o.editionIndex) || o.editionIndex < 1) throw new Error(`invalid edition index ${o.editionIndex}`);
  const prepare = group(
    'Prepare for Upgrade',
    'Actions to run in full OS to prepare for upgrade of the operating system.',
    [
      readinessStep(o.checks),
      group('Battery Checks', 'Add steps in this group to check whether the computer is using battery, or wired power'),
      group(
        'Network/Wired Connection Checks',
        'Add steps in this group to check whether the computer is connected to a network, and is not using a wireless connection',
      ),
      group('Remove incompatible applications', 'Add steps in this group to remove any applications that are incompatible with this version of Windows 10'),
      group('Remove incompatible drivers', 'Add steps in this group to remove any drivers that are incompatible with this version of Windows 10'),
      group('Remove/suspend third-party security', 'Add steps in this group to remove or suspend third-party security programs, such as antivirus'),
    ].join(''),
  );
  const upgrade = group(
    'Upgrade the Operating System',
    '',
    [o.setupOptions ? setupOptionsStep(o.setupOptions) : '', upgradeStep(o), o.scanOnly ? '' : restartStep].join(''),
  );
  const post = group(
    'Post-Processing',
    'Run tasks after the operating system upgrades and the computer restarts',
    condition('_SMSTSSetupRollback', 'equals', 'false') +
      [
        group('Apply setup-based drivers', 'Add steps in this group to install setup-based drivers (.exe) from packages'),
        group('Install/enable third-party security', 'Add steps in this group to install or enable third-party security programs, such as antivirus'),
        group('Set Windows default apps and associations', 'Add steps in this group to set Windows default apps and file associations'),
        group('Apply customizations and personalizations', 'Add steps in this group to apply Start menu customizations, such as organizing program groups'),
      ].join(''),
  );
  const rollback = group('Rollback', 'Run tasks if the upgrade fails and the operating system rolls back', condition('_SMSTSSetupRollback', 'equals', 'true'));
  const failure = group(
    'Run Actions on Failure',
    'Run tasks if OS upgrade fails to gather logs and run diagnostic tools',
    condition('_SMSTSOSUpgradeActionReturnCode', 'notequals', o.scanOnly ? SCAN_ONLY_SUCCESS : '0') +
      group('Collect Logs', 'Save Windows Setup and Task Sequence logs to a Network Share') +
      group('Run Diagnostic Tools', 'Run Diagnostic Tools'),
  );
  return `<sequence version="3.10"><referenceList><reference package="${xmlEscape(o.packageId)}"/></referenceList>${prepare}${upgrade}${post}${rollback}${failure}</sequence>`;
}
