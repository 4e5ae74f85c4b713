// Writing PowerShell that osmedia generates for a ConfigMgr site: every value goes in as a
// single-quoted literal, so nothing in a name, path or description is ever expanded or run.
// Scripts are written as UTF-8 with a BOM: Windows PowerShell 5.1 (which the ConfigurationManager
// module needs) reads a script without one in the ANSI code page and garbles non-ASCII names.

/** A PowerShell single-quoted string literal. PowerShell also ends such a string at the typographic
 *  single quotes U+2018–U+201B, so those are doubled too. */
export function psString(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (quote) => quote + quote)}'`;
}

export const UTF8_BOM = '\uFEFF';

/** The script's text as written to disk: BOM, CRLF line ends. */
export function psFile(lines: readonly string[]): string {
  return `${UTF8_BOM}${lines.join('\r\n')}\r\n`;
}

/**
 * The start of every site script: the console's ConfigurationManager module, the site drive
 * ($SiteCode on $ProviderMachineName), and into it. Scripts end with Pop-Location in a finally.
 */
export const ENTER_SITE: readonly string[] = [
  "Import-Module (Join-Path -Path (Split-Path -Path $env:SMS_ADMIN_UI_PATH -Parent) -ChildPath 'ConfigurationManager.psd1')",
  'if (-not (Get-PSDrive -Name $SiteCode -PSProvider CMSite -ErrorAction SilentlyContinue)) {',
  // -WhatIf:$false: the site drive is read access, needed by -WhatIf runs too (which would skip it).
  '    New-PSDrive -Name $SiteCode -PSProvider CMSite -Root $ProviderMachineName -WhatIf:$false | Out-Null',
  '}',
  'Push-Location -Path "$($SiteCode):"',
];

/** The end of every site script: $result as JSON, to -ResultPath (UTF-8, no BOM) and as the last line. */
export const RESULT_OUTPUT: readonly string[] = [
  '$json = $result | ConvertTo-Json -Depth 6 -Compress',
  'if ($ResultPath) { [IO.File]::WriteAllText($ResultPath, $json, (New-Object System.Text.UTF8Encoding $false)) }',
  "Write-Output ('OSMEDIA-RESULT ' + $json)",
];
