# A stand-in for the console's ConfigurationManager module: the tests (under PowerShell 7.6) and
# scripts/site-smoke.ts (Windows PowerShell 5.1 on a Windows runner) run osmedia's generated site
# scripts against it instead of a site. The "site" is a JSON state file ($env:OSMEDIA_STUB_SITE):
# packages, distribution point groups and points, assignments and status, task sequences, and
# "calls", every cmdlet call with its parameter set and parameters, in order. "fail" names a cmdlet
# that throws, as a missing right would.
#
# The cmdlets are generated from cmdlets.json, the signatures transcribed from Microsoft Learn's
# ConfigurationManager reference (one row per page): their parameter names, aliases, parameter sets
# and mandatory parameters. PowerShell's binder then refuses what a site refuses: an unknown
# parameter, parameters of two sets, a missing mandatory parameter (-NonInteractive), a cmdlet the
# module does not have. Names are matched as the real cmdlets do: as wildcards unless
# -DisableWildcardHandling is given. Behind each generated cmdlet is a small behaviour ($Behaviours).
#
# It also shadows Get-PSDrive/New-PSDrive (there is no CMSite provider without the console). The
# CimCmdlets the scripts use (no SMS Provider here) are in the OsmediaStubCim module beside it,
# found by command autoloading when its folder (scripts/site-stub/modules) is first on PSModulePath.
Set-StrictMode -Version 2.0
. (Join-Path -Path $PSScriptRoot -ChildPath 'StubSite.ps1')

function Find-StubPackages($Site, [string] $Kind, [hashtable] $Bound) {
    @(Get-StubList $Site 'packages' | Where-Object {
            $_.Kind -eq $Kind -and
            ((-not $Bound.ContainsKey('Name')) -or (Test-StubName $_.Name $Bound.Name $Bound)) -and
            ((-not $Bound.ContainsKey('Id')) -or $_.PackageID -eq $Bound.Id)
        })
}

function New-StubPackage($Site, [string] $Kind, [hashtable] $Bound) {
    if ($Bound.ContainsKey('Index')) { throw 'stand-in: osmedia never passes -Index (it makes the site rewrite install.wim)' }
    $name = if ($Bound.ContainsKey('Name')) { $Bound.Name } else { Split-Path -Leaf $Bound.Path }
    $package = [pscustomobject]@{
        Kind = $Kind; PackageID = ('{0}{1:D5}' -f $Site.siteCode, (100 + @(Get-StubList $Site 'packages').Count)); Name = $name
        PkgSourcePath = $Bound.Path; Version = $null; Description = $null; SourceVersion = 1; BinaryDelta = $false; Multicast = ''
    }
    $Site.packages = @(Get-StubList $Site 'packages') + @($package)
    $package
}

function Set-StubPackage($Site, [string] $Kind, [string] $Set, [hashtable] $Bound) {
    $package = switch ($Set) {
        'SetById' { Get-StubList $Site 'packages' | Where-Object { $_.Kind -eq $Kind -and $_.PackageID -eq $Bound.Id } }
        'SetByName' { Get-StubList $Site 'packages' | Where-Object { $_.Kind -eq $Kind -and (Test-StubName $_.Name $Bound.Name $Bound) } }
        default { Get-StubList $Site 'packages' | Where-Object { $_.PackageID -eq $Bound.InputObject.PackageID } }
    }
    if (-not $package) { throw "stand-in: no $Kind package for $Set" }
    foreach ($p in @($package)) {
        if ($Bound.ContainsKey('Path')) { $p.PkgSourcePath = $Bound.Path }
        if ($Bound.ContainsKey('Version')) { $p.Version = $Bound.Version }
        if ($Bound.ContainsKey('Description')) { $p.Description = $Bound.Description }
        if ($Bound.ContainsKey('EnableBinaryDeltaReplication')) { $p.BinaryDelta = [bool] $Bound.EnableBinaryDeltaReplication }
        if ($Bound.ContainsKey('MulticastAllow')) { $p.Multicast = '{0}/{1}/{2}' -f $Bound.MulticastAllow, $Bound.MulticastEncrypt, $Bound.MulticastTransferOnly }
        if ($Bound.ContainsKey('Reload')) { $p.SourceVersion = [int] $p.SourceVersion + 0 }
    }
}

function Update-StubDistribution($Site, [string] $Id) {
    foreach ($p in @(Get-StubList $Site 'packages' | Where-Object { $_.PackageID -eq $Id })) { $p.SourceVersion = [int] $p.SourceVersion + 1 }
    $version = (Get-StubList $Site 'packages' | Where-Object { $_.PackageID -eq $Id }).SourceVersion
    # The distribution points copy the new version at once, unless the state file says a DP fails.
    foreach ($row in @(Get-StubList $Site 'status' | Where-Object { $_.PackageID -eq $Id -and $_.State -eq 0 })) { $row.SourceVersion = $version }
}

function Start-StubDistribution($Site, [string[]] $Ids, [hashtable] $Bound) {
    foreach ($id in $Ids) {
        $version = (Get-StubList $Site 'packages' | Where-Object { $_.PackageID -eq $id }).SourceVersion
        if ($null -eq $version) { throw "stand-in: no package $id" }
        $nals = @()
        foreach ($name in @($Bound['DistributionPointGroupName'] | Where-Object { $_ })) {
            $group = @(Get-StubList $Site 'groups' | Where-Object { Test-StubName $_.Name $name $Bound })
            if ($group.Count -ne 1) { throw "stand-in: $($group.Count) distribution point groups match '$name'" }
            $Site.groupPackages = @(Get-StubList $Site 'groupPackages') + @([pscustomobject]@{ GroupID = $group[0].GroupID; PkgID = $id })
            $nals += @($group[0].members)
        }
        foreach ($name in @($Bound['DistributionPointName'] | Where-Object { $_ })) {
            $point = @(Get-StubList $Site 'points' | Where-Object { Test-StubName $_.Name $name $Bound })
            if ($point.Count -ne 1) { throw "stand-in: $($point.Count) distribution points match '$name'" }
            $nals += $point[0].NALPath
        }
        $failing = @(Get-StubList $Site 'failingPoints')
        foreach ($nal in $nals) {
            $Site.assigned = @(Get-StubList $Site 'assigned') + @([pscustomobject]@{ PackageID = $id; ServerNALPath = $nal })
            $state = if ($failing -contains $nal) { 3 } else { 0 }
            $Site.status = @(Get-StubList $Site 'status') + @([pscustomobject]@{ PackageID = $id; ServerNALPath = $nal; State = $state; SourceVersion = $version; SummaryDate = '2026-12-08T03:00:00.0000000Z' })
            if ($state -eq 3) {
                $Site.messages = @(Get-StubList $Site 'messages') + @([pscustomobject]@{ PackageID = $id; NalPath = $nal; MessageID = 2303; MessageState = 4; LastUpdateDate = '2026-12-08T03:01:00.0000000Z'; InsString1 = $id; InsString2 = 'The network path was not found.' })
            }
        }
    }
}

$Behaviours = @{
    'Get-CMOperatingSystemInstaller' = { param($Site, $Set, $Bound) Find-StubPackages $Site 'upgrade' $Bound }
    'Get-CMOperatingSystemImage'     = { param($Site, $Set, $Bound) Find-StubPackages $Site 'image' $Bound }
    'Get-CMDistributionPointGroup'   = { param($Site, $Set, $Bound)
        @(Get-StubList $Site 'groups' | Where-Object { ((-not $Bound.ContainsKey('Name')) -or (Test-StubName $_.Name $Bound.Name $Bound)) -and ((-not $Bound.ContainsKey('Id')) -or $_.GroupID -eq $Bound.Id) })
    }
    'Get-CMDistributionPoint'        = { param($Site, $Set, $Bound)
        if ($Set -ne 'SearchByName') { throw "stand-in: Get-CMDistributionPoint $Set is not modelled" }
        @(Get-StubList $Site 'points' | Where-Object { (-not $Bound.ContainsKey('SiteSystemServerName')) -or (Test-StubName $_.Name $Bound.SiteSystemServerName $Bound) })
    }
    'New-CMOperatingSystemInstaller' = { param($Site, $Set, $Bound) New-StubPackage $Site 'upgrade' $Bound }
    'New-CMOperatingSystemImage'     = { param($Site, $Set, $Bound) New-StubPackage $Site 'image' $Bound }
    'Set-CMOperatingSystemInstaller' = { param($Site, $Set, $Bound) Set-StubPackage $Site 'upgrade' $Set $Bound }
    'Set-CMOperatingSystemImage'     = { param($Site, $Set, $Bound) Set-StubPackage $Site 'image' $Set $Bound }
    'Update-CMDistributionPoint'     = { param($Site, $Set, $Bound)
        switch ($Set) {
            'SearchByOSInstallerId' { Update-StubDistribution $Site $Bound.OperatingSystemInstallerId }
            'SearchByOSImageId' { Update-StubDistribution $Site $Bound.OperatingSystemImageId }
            default { throw "stand-in: Update-CMDistributionPoint $Set is not modelled" }
        }
    }
    'Start-CMContentDistribution'    = { param($Site, $Set, $Bound)
        switch ($Set) {
            'SearchByIdMandatory_OperatingSystemInstaller' { Start-StubDistribution $Site $Bound.OperatingSystemInstallerId $Bound }
            'SearchByIdMandatory_OperatingSystemImage' { Start-StubDistribution $Site $Bound.OperatingSystemImageId $Bound }
            default { throw "stand-in: Start-CMContentDistribution $Set is not modelled" }
        }
    }
    'Get-CMTaskSequence'             = { param($Site, $Set, $Bound)
        @(Get-StubList $Site 'taskSequences' | Where-Object {
                ((-not $Bound.ContainsKey('Name')) -or (Test-StubName $_.Name $Bound.Name $Bound)) -and
                ((-not $Bound.ContainsKey('TaskSequencePackageId')) -or $_.PackageID -eq $Bound.TaskSequencePackageId)
            } | Select-Object -Property PackageID, Name, Description)
    }
    'Set-CMTSStepUpgradeOperatingSystem' = { param($Site, $Set, $Bound)
        $ts = switch ($Set) {
            'ById' { @(Get-StubList $Site 'taskSequences' | Where-Object { $_.PackageID -eq $Bound.TaskSequenceId }) }
            'ByName' { @(Get-StubList $Site 'taskSequences' | Where-Object { Test-StubName $_.Name $Bound.TaskSequenceName $Bound }) }
            default { @(Get-StubList $Site 'taskSequences' | Where-Object { $_.PackageID -eq $Bound.InputObject.PackageID }) }
        }
        if ($ts.Count -eq 0) { throw 'stand-in: no such task sequence' }
        foreach ($t in $ts) {
            if ($Bound.ContainsKey('UpgradePackage')) { $t.UpgradePackageID = $Bound.UpgradePackage.PackageID }
            if ($Bound.ContainsKey('EditionIndex')) { $t.EditionIndex = $Bound.EditionIndex }
        }
    }
}
$Changes = 'New-', 'Set-', 'Update-', 'Start-'

# Runs a generated cmdlet's behaviour: records the call, then does it on the state file.
function Invoke-StubCmdlet([string] $Cmdlet, [string] $Set, [hashtable] $Bound) {
    if ($Bound.ContainsKey('DisableWildcardHandling') -and $Bound.ContainsKey('ForceWildcardHandling')) {
        throw "$Cmdlet`: DisableWildcardHandling can't be combined with ForceWildcardHandling"
    }
    $site = Read-StubSite
    $change = @($Changes | Where-Object { $Cmdlet.StartsWith($_) }).Count -gt 0
    Add-StubCall $site $Cmdlet $Set $Bound $change
    $output = & $Behaviours[$Cmdlet] $site $Set $Bound
    Save-StubSite $site
    $output
}

$TypeNames = @{ String = 'string'; 'String[]' = 'string[]'; Int32 = 'int'; UInt32 = 'uint32'; Boolean = 'bool'; SwitchParameter = 'switch'; IResultObject = 'object'; 'IResultObject[]' = 'object[]'; DateTime = 'datetime' }
$Signatures = Get-Content -Raw -LiteralPath (Join-Path -Path $PSScriptRoot -ChildPath 'cmdlets.json') -Encoding UTF8 | ConvertFrom-Json
foreach ($entry in $Signatures.cmdlets.PSObject.Properties) {
    $name = $entry.Name
    $spec = $entry.Value
    if (-not $Behaviours.ContainsKey($name)) { throw "stand-in: cmdlets.json lists $name, which has no behaviour" }
    $binding = @()
    if ($spec.defaultSet -ne '__AllParameterSets') { $binding += "DefaultParameterSetName = '$($spec.defaultSet)'" }
    if ($spec.shouldProcess) { $binding += 'SupportsShouldProcess = $true' }
    $parameters = foreach ($p in $spec.parameters.PSObject.Properties) {
        $param = $p.Value
        $type = if ($TypeNames.ContainsKey($param.type)) { $TypeNames[$param.type] } else { 'string' }
        $mandatory = if ($param.PSObject.Properties['mandatory'] -and $param.mandatory) { 'Mandatory = $true' } else { 'Mandatory = $false' }
        $position = if ($param.PSObject.Properties['position']) { ", Position = $($param.position)" } else { '' }
        $attributes = foreach ($set in @($param.sets)) {
            if ($set -ne '*') { "[Parameter(ParameterSetName = '$set', $mandatory$position)]" } else { "[Parameter($mandatory$position)]" }
        }
        $alias = if ($param.PSObject.Properties['aliases']) { "[Alias($((@($param.aliases) | ForEach-Object { "'$_'" }) -join ', '))]" } else { '' }
        $validate = if ($param.PSObject.Properties['values']) { "[ValidateSet($((@($param.values) | ForEach-Object { "'$_'" }) -join ', '))]" } else { '' }
        "$($attributes -join ' ') $alias $validate [$type] `$$($p.Name)"
    }
    $body = "function $name {`n[CmdletBinding($($binding -join ', '))] param(`n    $($parameters -join ",`n    ")`n)`nInvoke-StubCmdlet -Cmdlet '$name' -Set `$PSCmdlet.ParameterSetName -Bound `$PSBoundParameters`n}"
    . ([scriptblock]::Create($body))
}

function Get-PSDrive {
    [CmdletBinding()] param([string] $Name, [string] $PSProvider)
    Microsoft.PowerShell.Management\Get-PSDrive -Name $Name -ErrorAction SilentlyContinue
}
function New-PSDrive {
    [CmdletBinding(SupportsShouldProcess = $true)] param([string] $Name, [string] $PSProvider, [string] $Root)
    if ($PSProvider -ne 'CMSite') { throw "stand-in: unexpected provider $PSProvider" }
    if ($PSCmdlet.ShouldProcess($Name, 'New-PSDrive')) {
        Microsoft.PowerShell.Management\New-PSDrive -Name $Name -PSProvider FileSystem -Root ([IO.Path]::GetTempPath()) -Scope Global -WhatIf:$false
    }
}

Export-ModuleMember -Function *-CM*, Get-PSDrive, New-PSDrive
