# Runs the Pester tests of the stand-in ConfigurationManager module (test/configmgr/site-stub.Tests.ps1)
# with Pester 5.7.1 (scripts/ensure-deps.sh fetches it from NuGet into .tools/modules). Exit code 0 when
# all pass. Called by test/configmgr/site-pwsh.test.ts, so .ci/run runs it too.
#   pwsh -NoProfile -File scripts/site-stub/run-pester.ps1 [-Pester <Pester.psd1>]
param([string] $Pester = (Join-Path -Path $PSScriptRoot -ChildPath '../../.tools/modules/Pester/5.7.1/Pester.psd1'))
$ErrorActionPreference = 'Stop'
Import-Module -Name $Pester -RequiredVersion 5.7.1
$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path -Path $PSScriptRoot -ChildPath '../../test/configmgr/site-stub.Tests.ps1'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration
Write-Output ("Tests Passed: {0}, Failed: {1}" -f $result.PassedCount, $result.FailedCount)
if ($result.FailedCount -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
