# A stand-in for the ConfigurationManager module, for scripts/site-smoke.ts on a Windows runner
# without a site. It implements the cmdlets osmedia's site scripts call, with the parameters they
# use, over a JSON file ($env:OSMEDIA_STUB_SITE) holding the site's packages, distribution point
# groups, distribution points, assignments and status, and a log of every change ("calls").
# "fail" names a cmdlet that throws, as a missing right would. It shadows Get-PSDrive/New-PSDrive
# (there is no CMSite provider without the console) and Get-CimInstance (no SMS Provider).
Set-StrictMode -Version 2.0

function Read-StubSite { Get-Content -Raw -LiteralPath $env:OSMEDIA_STUB_SITE -Encoding UTF8 | ConvertFrom-Json }
function Save-StubSite($Site) { [IO.File]::WriteAllText($env:OSMEDIA_STUB_SITE, ($Site | ConvertTo-Json -Depth 6), (New-Object System.Text.UTF8Encoding $false)) }
function Add-StubCall($Site, [string] $Cmdlet, [string] $Text) {
    if ($Site.fail -eq $Cmdlet) { throw "Access denied (stand-in: $Cmdlet fails)" }
    $Site.calls += "$Cmdlet $Text"
}
function Get-StubPackage($Site, [string] $Kind, [string] $Name, [string] $Id) {
    @($Site.packages | Where-Object { $_.Kind -eq $Kind -and ((-not $Name) -or $_.Name -eq $Name) -and ((-not $Id) -or $_.PackageID -eq $Id) })
}
function Assert-Literal([bool] $Disabled) { if (-not $Disabled) { throw 'stand-in: names must be looked up with -DisableWildcardHandling' } }

function Get-PSDrive {
    [CmdletBinding()] param([string] $Name, [string] $PSProvider)
    Microsoft.PowerShell.Management\Get-PSDrive -Name $Name -ErrorAction SilentlyContinue
}
function New-PSDrive {
    [CmdletBinding()] param([string] $Name, [string] $PSProvider, [string] $Root)
    if ($PSProvider -ne 'CMSite') { throw "stand-in: unexpected provider $PSProvider" }
    Microsoft.PowerShell.Management\New-PSDrive -Name $Name -PSProvider FileSystem -Root $env:TEMP -Scope Global
}

function Get-CMOperatingSystemInstaller {
    [CmdletBinding()] param([string] $Name, [string] $Id, [switch] $DisableWildcardHandling)
    Assert-Literal $DisableWildcardHandling.IsPresent; Get-StubPackage (Read-StubSite) 'upgrade' $Name $Id
}
function Get-CMOperatingSystemImage {
    [CmdletBinding()] param([string] $Name, [string] $Id, [switch] $DisableWildcardHandling)
    Assert-Literal $DisableWildcardHandling.IsPresent; Get-StubPackage (Read-StubSite) 'image' $Name $Id
}
function Get-CMDistributionPointGroup {
    [CmdletBinding()] param([string] $Name, [switch] $DisableWildcardHandling)
    Assert-Literal $DisableWildcardHandling.IsPresent; @((Read-StubSite).groups | Where-Object { $_.Name -eq $Name })
}
function Get-CMDistributionPoint {
    [CmdletBinding()] param([string] $SiteSystemServerName, [switch] $DisableWildcardHandling)
    Assert-Literal $DisableWildcardHandling.IsPresent; @((Read-StubSite).points | Where-Object { $_.Name -eq $SiteSystemServerName })
}

function New-StubPackage([string] $Kind, [string] $Cmdlet, [string] $Name, [string] $Path, [hashtable] $Bound) {
    if ($Bound.ContainsKey('Index')) { throw 'stand-in: osmedia never passes -Index' }
    $site = Read-StubSite
    Add-StubCall $site $Cmdlet "-Name $Name -Path $Path"
    $package = [pscustomobject]@{ Kind = $Kind; PackageID = ('P01{0:D5}' -f (100 + @($site.packages).Count)); Name = $Name; PkgSourcePath = $Path; Version = $null; Description = $null; SourceVersion = 1; BinaryDelta = $false; Multicast = '' }
    $site.packages += $package
    Save-StubSite $site
    $package
}
function New-CMOperatingSystemInstaller {
    [CmdletBinding()] param([string] $Name, [string] $Path, [string] $Version, [string] $Description, [int] $Index)
    New-StubPackage 'upgrade' 'New-CMOperatingSystemInstaller' $Name $Path $PSBoundParameters
}
function New-CMOperatingSystemImage {
    [CmdletBinding()] param([Parameter(Mandatory = $true)] [string] $Name, [Parameter(Mandatory = $true)] [string] $Path, [string] $Version, [string] $Description, [int] $Index)
    New-StubPackage 'image' 'New-CMOperatingSystemImage' $Name $Path $PSBoundParameters
}

function Set-StubPackage([string] $Kind, [string] $Cmdlet, [hashtable] $Bound) {
    $site = Read-StubSite
    $package = Get-StubPackage $site $Kind '' $Bound.Id | Select-Object -First 1
    if (-not $package) { throw "stand-in: no $Kind package $($Bound.Id)" }
    Add-StubCall $site $Cmdlet (($Bound.Keys | Sort-Object | ForEach-Object { "-$_" }) -join ' ')
    if ($Bound.ContainsKey('Path')) { $package.PkgSourcePath = $Bound.Path }
    if ($Bound.ContainsKey('Version')) { $package.Version = $Bound.Version }
    if ($Bound.ContainsKey('Description')) { $package.Description = $Bound.Description }
    if ($Bound.ContainsKey('EnableBinaryDeltaReplication')) { $package.BinaryDelta = [bool] $Bound.EnableBinaryDeltaReplication }
    if ($Bound.ContainsKey('MulticastAllow')) { $package.Multicast = '{0}/{1}/{2}' -f $Bound.MulticastAllow, $Bound.MulticastEncrypt, $Bound.MulticastTransferOnly }
    Save-StubSite $site
}
function Set-CMOperatingSystemInstaller {
    [CmdletBinding()] param([Parameter(Mandatory = $true)] [string] $Id, [string] $Path, [string] $Version, [string] $Description, [bool] $EnableBinaryDeltaReplication, [switch] $Reload)
    Set-StubPackage 'upgrade' 'Set-CMOperatingSystemInstaller' $PSBoundParameters
}
function Set-CMOperatingSystemImage {
    [CmdletBinding()] param([Parameter(Mandatory = $true)] [string] $Id, [string] $Path, [string] $Version, [string] $Description, [bool] $EnableBinaryDeltaReplication, [switch] $Reload, [bool] $MulticastAllow, [bool] $MulticastEncrypt, [bool] $MulticastTransferOnly)
    Set-StubPackage 'image' 'Set-CMOperatingSystemImage' $PSBoundParameters
}

function Update-CMDistributionPoint {
    [CmdletBinding()] param([string] $OperatingSystemInstallerId, [string] $OperatingSystemImageId)
    $site = Read-StubSite
    $id = @($OperatingSystemInstallerId, $OperatingSystemImageId) | Where-Object { $_ } | Select-Object -First 1
    Add-StubCall $site 'Update-CMDistributionPoint' $id
    foreach ($package in @($site.packages | Where-Object { $_.PackageID -eq $id })) { $package.SourceVersion += 1 }
    # The distribution points copy the new version at once, here.
    foreach ($row in @($site.status | Where-Object { $_.PackageID -eq $id })) { $row.SourceVersion = ($site.packages | Where-Object { $_.PackageID -eq $id }).SourceVersion }
    Save-StubSite $site
}

function Start-CMContentDistribution {
    [CmdletBinding()] param([string[]] $OperatingSystemInstallerId, [string[]] $OperatingSystemImageId, [string[]] $DistributionPointGroupName, [string[]] $DistributionPointName)
    $site = Read-StubSite
    $ids = @($OperatingSystemInstallerId) + @($OperatingSystemImageId) | Where-Object { $_ }
    Add-StubCall $site 'Start-CMContentDistribution' ("$($ids -join ',') groups=$($DistributionPointGroupName -join '|') points=$($DistributionPointName -join '|')")
    foreach ($id in $ids) {
        $version = ($site.packages | Where-Object { $_.PackageID -eq $id }).SourceVersion
        $nals = @()
        foreach ($name in @($DistributionPointGroupName | Where-Object { $_ })) {
            $group = $site.groups | Where-Object { $_.Name -eq $name }
            $site.groupPackages += [pscustomobject]@{ GroupID = $group.GroupID; PkgID = $id }
            $nals += @($group.members)
        }
        foreach ($name in @($DistributionPointName | Where-Object { $_ })) { $nals += ($site.points | Where-Object { $_.Name -eq $name }).NALPath }
        foreach ($nal in $nals) {
            $site.assigned += [pscustomobject]@{ PackageID = $id; ServerNALPath = $nal }
            $site.status += [pscustomobject]@{ PackageID = $id; ServerNALPath = $nal; State = 0; SourceVersion = $version }
        }
    }
    Save-StubSite $site
}

function Get-CimInstance {
    [CmdletBinding()] param([string] $ComputerName, [string] $Namespace, [string] $ClassName, [string] $Filter)
    if ($Namespace -notmatch '^root\\SMS\\site_[A-Za-z0-9]{3}$') { throw "stand-in: unexpected namespace $Namespace" }
    if ($Filter -notmatch "^(PackageID|PkgID)='([A-Za-z0-9]{8})'$") { throw "stand-in: unexpected filter $Filter" }
    $id = $Matches[2]
    $site = Read-StubSite
    switch ($ClassName) {
        'SMS_PackageBaseclass' { @($site.packages | Where-Object { $_.PackageID -eq $id }) }
        'SMS_DistributionPoint' { @($site.assigned | Where-Object { $_.PackageID -eq $id }) }
        'SMS_PackageStatusDistPointsSummarizer' { @($site.status | Where-Object { $_.PackageID -eq $id }) }
        'SMS_DPGroupPackages' { @($site.groupPackages | Where-Object { $_.PkgID -eq $id }) }
        default { throw "stand-in: unexpected class $ClassName" }
    }
}
