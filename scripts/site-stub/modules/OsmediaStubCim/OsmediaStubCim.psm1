# The CimCmdlets osmedia's site scripts use, over the stand-in's site state file
# ($env:OSMEDIA_STUB_SITE): what the SMS Provider answers for the classes the read and status scripts
# query, and the SMS_TaskSequencePackage methods the task sequence script calls. Parameter names as in
# Microsoft Learn's CimCmdlets reference (Get-CimInstance, Get-CimClass, New-CimInstance,
# Invoke-CimMethod), restricted to the ones the scripts pass. With this folder first on PSModulePath,
# command autoloading finds these before (or, on Linux, instead of) the real CimCmdlets.
Set-StrictMode -Version 2.0
. (Join-Path -Path $PSScriptRoot -ChildPath '../../StubSite.ps1')

# CIM: what the SMS Provider answers for the classes the scripts query, with datetimes as DateTime.
function ConvertTo-StubCimRow($Row) {
    $copy = [ordered]@{}
    foreach ($p in $Row.PSObject.Properties) {
        $copy[$p.Name] = if ($p.Name -in 'SummaryDate', 'LastCopied', 'LastUpdateDate' -and $p.Value) { ([datetime] $p.Value).ToUniversalTime() } else { $p.Value }
    }
    [pscustomobject]$copy
}
function Get-CimInstance {
    [CmdletBinding()] param([string] $ComputerName, [string] $Namespace, [string] $ClassName, [string] $Filter, [string[]] $Property)
    if ($Namespace -notmatch '^root\\SMS\\site_[A-Za-z0-9]{3}$') { throw "stand-in: unexpected namespace $Namespace" }
    if ($Filter -notmatch "^(PackageID|PkgID)='([A-Za-z0-9]{8})'$") { throw "stand-in: unexpected filter $Filter" }
    $id = $Matches[2]
    $site = Read-StubSite
    $rows = switch ($ClassName) {
        'SMS_PackageBaseclass' { @(Get-StubList $site 'packages' | Where-Object { $_.PackageID -eq $id }) }
        'SMS_DistributionPoint' { @(Get-StubList $site 'assigned' | Where-Object { $_.PackageID -eq $id }) }
        'SMS_PackageStatusDistPointsSummarizer' { @(Get-StubList $site 'status' | Where-Object { $_.PackageID -eq $id }) }
        'SMS_DistributionDPStatus' { @(Get-StubList $site 'messages' | Where-Object { $_.PackageID -eq $id }) }
        'SMS_DPGroupPackages' { @(Get-StubList $site 'groupPackages' | Where-Object { $_.PkgID -eq $id }) }
        default { throw "stand-in: unexpected class $ClassName" }
    }
    foreach ($row in $rows) { ConvertTo-StubCimRow $row }
}
function Get-CimClass {
    [CmdletBinding()] param([string] $ComputerName, [string] $Namespace, [string] $ClassName)
    if ($ClassName -ne 'SMS_TaskSequencePackage') { throw "stand-in: unexpected class $ClassName" }
    [pscustomobject]@{ CimClassName = $ClassName; Namespace = $Namespace }
}
function New-CimInstance {
    [CmdletBinding()] param([object] $CimClass, [hashtable] $Property, [switch] $ClientOnly)
    if (-not $ClientOnly) { throw 'stand-in: osmedia creates the package instance client-only and saves it with SetSequence' }
    $instance = [ordered]@{ CimClassName = $CimClass.CimClassName }
    foreach ($key in $Property.Keys) { $instance[$key] = $Property[$key] }
    [pscustomobject]$instance
}
function Invoke-CimMethod {
    [CmdletBinding()] param([string] $ComputerName, [string] $Namespace, [string] $ClassName, [string] $MethodName, [System.Collections.IDictionary] $Arguments)
    $site = Read-StubSite
    Add-StubCall $site "Invoke-CimMethod $ClassName.$MethodName" 'CIM' @{ Arguments = @($Arguments.Keys | Sort-Object) -join ',' } $true
    # The [in] parameters of each method, per its page in the ConfigMgr SDK reference (Microsoft Learn:
    # importsequence-method-in-class-sms_tasksequencepackage, setsequence-method-in-class-sms_tasksequencepackage).
    $in = @{ 'SMS_TaskSequencePackage.ImportSequence' = @('SequenceXML'); 'SMS_TaskSequencePackage.SetSequence' = @('TaskSequence', 'TaskSequencePackage') }["$ClassName.$MethodName"]
    if (-not $in) { throw "stand-in: unexpected method $ClassName.$MethodName" }
    $given = @($Arguments.Keys | Sort-Object)
    if (($given -join ',') -ne (@($in | Sort-Object) -join ',')) { throw "stand-in: $ClassName.$MethodName takes $($in -join ', '), not $($given -join ', ')" }
    switch ("$ClassName.$MethodName") {
        'SMS_TaskSequencePackage.ImportSequence' {
            $xml = [xml] $Arguments.SequenceXML
            if ($xml.DocumentElement.LocalName -ne 'sequence') { throw 'stand-in: ImportSequence takes a <sequence> document' }
            Save-StubSite $site
            [pscustomobject]@{ ReturnValue = 0; TaskSequence = [pscustomobject]@{ CimClassName = 'SMS_TaskSequence'; Xml = $Arguments.SequenceXML } }
        }
        'SMS_TaskSequencePackage.SetSequence' {
            $package = $Arguments.TaskSequencePackage
            $id = '{0}{1:D5}' -f $site.siteCode, (500 + @(Get-StubList $site 'taskSequences').Count)
            $site.taskSequences = @(Get-StubList $site 'taskSequences') + @([pscustomobject]@{ PackageID = $id; Name = $package.Name; Description = $package.Description; Sequence = $Arguments.TaskSequence.Xml; UpgradePackageID = $null; EditionIndex = $null })
            Save-StubSite $site
            [pscustomobject]@{ ReturnValue = 0; SavedTaskSequencePackagePath = "\\$ComputerName\$($Namespace):SMS_TaskSequencePackage.PackageID=`"$id`"" }
        }
        default { throw "stand-in: unexpected method $ClassName.$MethodName" }
    }
}

Export-ModuleMember -Function Get-CimInstance, Get-CimClass, New-CimInstance, Invoke-CimMethod
