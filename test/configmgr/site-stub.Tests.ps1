# Pester 5 tests of the stand-in ConfigurationManager module itself (scripts/site-stub): its cmdlets
# carry the signatures recorded from Microsoft Learn in cmdlets.json, so a call a real site would
# reject fails here the same way, and its behaviour over the site state file is what the scripts rely on.
BeforeAll {
    $stub = Join-Path -Path $PSScriptRoot -ChildPath '../../scripts/site-stub'
    $env:PSModulePath = (Join-Path -Path $stub -ChildPath 'modules') + [IO.Path]::PathSeparator + $env:PSModulePath
    $env:OSMEDIA_STUB_SITE = Join-Path -Path ([IO.Path]::GetTempPath()) -ChildPath ("osmedia-stub-{0}.json" -f [guid]::NewGuid())
    $site = [ordered]@{
        siteCode = 'P01'; packages = @(
            [ordered]@{ Kind = 'upgrade'; PackageID = 'P0100001'; Name = 'Upgrade [Pilot] *Win11*'; PkgSourcePath = '\\s\a'; Version = $null; Description = $null; SourceVersion = 1; BinaryDelta = $false; Multicast = '' },
            [ordered]@{ Kind = 'upgrade'; PackageID = 'P0100002'; Name = 'Upgrade P Win11 x'; PkgSourcePath = '\\s\b'; Version = $null; Description = $null; SourceVersion = 1; BinaryDelta = $false; Multicast = '' }
        )
        groups = @(); points = @(); groupPackages = @(); assigned = @(); status = @(); messages = @(); failingPoints = @(); taskSequences = @(); calls = @(); fail = $null
    }
    [IO.File]::WriteAllText($env:OSMEDIA_STUB_SITE, ($site | ConvertTo-Json -Depth 6))
    Import-Module (Join-Path -Path $stub -ChildPath 'ConfigurationManager.psd1') -Force
    $signatures = Get-Content -Raw -LiteralPath (Join-Path -Path $stub -ChildPath 'cmdlets.json') | ConvertFrom-Json
}
AfterAll { Remove-Item -LiteralPath $env:OSMEDIA_STUB_SITE -ErrorAction SilentlyContinue }

Describe 'signatures from Microsoft Learn' {
    It 'defines exactly the cmdlets of cmdlets.json, each with its page' {
        $names = @($signatures.cmdlets.PSObject.Properties.Name | Sort-Object)
        @((Get-Command -Module ConfigurationManager -Name *-CM*).Name | Sort-Object) | Should -Be $names
        foreach ($p in $signatures.cmdlets.PSObject.Properties) { $p.Value.page | Should -Match '^https://learn\.microsoft\.com/powershell/module/configurationmanager/' }
    }
    It 'gives each cmdlet its parameter sets, mandatory parameters and aliases' {
        (Get-Command Set-CMOperatingSystemInstaller).ParameterSets.Name | Sort-Object | Should -Be @('SetById', 'SetByName', 'SetByValueMandatory')
        (Get-Command Set-CMOperatingSystemInstaller).DefaultParameterSet | Should -Be 'SetById'
        (Get-Command New-CMOperatingSystemImage).Parameters['Path'].Attributes.Where({ $_ -is [Parameter] }).Mandatory | Should -Be $true
        (Get-Command New-CMOperatingSystemImage).Parameters['Path'].Aliases | Should -Contain 'PackageSourcePath'
        (Get-Command Get-CMDistributionPoint).Parameters['SiteSystemServerName'].Aliases | Should -Be @('Name', 'ServerName')
        (Get-Command Start-CMContentDistribution).ParameterSets.Count | Should -Be 19
    }
    It 'refuses an unknown parameter' {
        { Get-CMTaskSequence -Name 'x' -Fast } | Should -Throw -ExpectedMessage "*parameter name 'Fast'*"
    }
    It 'refuses parameters of two sets' {
        { Set-CMOperatingSystemInstaller -Id 'P0100001' -Name 'x' -Version '1' } | Should -Throw -ExpectedMessage '*Parameter set cannot be resolved*'
        { Update-CMDistributionPoint -OperatingSystemInstallerId 'P0100001' -PackageId 'P0100001' } | Should -Throw -ExpectedMessage '*Parameter set cannot be resolved*'
    }
    It 'refuses a call without a mandatory parameter (non-interactive)' {
        $result = & ([IO.Path]::Combine($PSHOME, 'pwsh')) -NoProfile -NonInteractive -Command "Import-Module '$stub/ConfigurationManager.psd1'; New-CMOperatingSystemImage -Name x" 2>&1
        ($result | Out-String) | Should -Match 'missing mandatory parameters: Path'
    }
    It 'has no cmdlet the module lacks' {
        { Get-CMOperatingSystemUpgradePackage -Name x } | Should -Throw -ExpectedMessage '*not recognized*'
    }
    It 'refuses DisableWildcardHandling with ForceWildcardHandling' {
        { Get-CMOperatingSystemInstaller -Name x -DisableWildcardHandling -ForceWildcardHandling } | Should -Throw -ExpectedMessage "*can't be combined*"
    }
}

Describe 'behaviour over the site state file' {
    It 'matches names as wildcards unless -DisableWildcardHandling is given, as ConfigMgr does' {
        @(Get-CMOperatingSystemInstaller -Name 'Upgrade [Pilot] *Win11*').PackageID | Should -Be @('P0100002')
        @(Get-CMOperatingSystemInstaller -Name 'Upgrade [Pilot] *Win11*' -DisableWildcardHandling).PackageID | Should -Be @('P0100001')
    }
    It 'takes the documented alias as the parameter' {
        (Get-CMOperatingSystemInstaller -PackageId 'P0100002').Name | Should -Be 'Upgrade P Win11 x'
    }
    It 'records every call with its parameter set, and whether it changes the site' {
        Set-CMOperatingSystemInstaller -Id 'P0100002' -Version '10.0.26100.1' -Description 'd'
        $calls = @((Get-Content -Raw -LiteralPath $env:OSMEDIA_STUB_SITE | ConvertFrom-Json).calls)
        $calls[-1].cmdlet | Should -Be 'Set-CMOperatingSystemInstaller'
        $calls[-1].set | Should -Be 'SetById'
        $calls[-1].change | Should -Be $true
        $calls[-1].parameters.Version | Should -Be '10.0.26100.1'
        @($calls | Where-Object { $_.cmdlet -like 'Get-*' -and $_.change }).Count | Should -Be 0
    }
    It 'throws for the cmdlet named in "fail", as a missing right would' {
        $state = Get-Content -Raw -LiteralPath $env:OSMEDIA_STUB_SITE | ConvertFrom-Json
        $state.fail = 'Update-CMDistributionPoint'
        [IO.File]::WriteAllText($env:OSMEDIA_STUB_SITE, ($state | ConvertTo-Json -Depth 10))
        { Update-CMDistributionPoint -OperatingSystemInstallerId 'P0100002' } | Should -Throw -ExpectedMessage 'Access denied*'
    }
    It 'answers the WMI queries of the scripts with DateTime values, as CIM does' {
        $state = Get-Content -Raw -LiteralPath $env:OSMEDIA_STUB_SITE | ConvertFrom-Json
        $state.status = @([pscustomobject]@{ PackageID = 'P0100002'; ServerNALPath = 'x'; State = 1; SourceVersion = 1; SummaryDate = '2026-12-08T03:00:00Z' })
        [IO.File]::WriteAllText($env:OSMEDIA_STUB_SITE, ($state | ConvertTo-Json -Depth 10))
        $row = Get-CimInstance -ComputerName cm01 -Namespace 'root\SMS\site_P01' -ClassName SMS_PackageStatusDistPointsSummarizer -Filter "PackageID='P0100002'"
        $row.SummaryDate | Should -BeOfType [datetime]
        { Get-CimInstance -ComputerName cm01 -Namespace 'root\SMS\site_P01' -ClassName SMS_Nope -Filter "PackageID='P0100002'" } | Should -Throw
    }
}
