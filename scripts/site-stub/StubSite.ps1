# The site state file shared by the stand-in modules (ConfigurationManager, OsmediaStubCim): read,
# save, list access, ConfigMgr's name matching, and the call log. Dot-sourced by both.

function Read-StubSite { Get-Content -Raw -LiteralPath $env:OSMEDIA_STUB_SITE -Encoding UTF8 | ConvertFrom-Json }
function Save-StubSite($Site) { [IO.File]::WriteAllText($env:OSMEDIA_STUB_SITE, ($Site | ConvertTo-Json -Depth 10), (New-Object System.Text.UTF8Encoding $false)) }
function Get-StubList($Site, [string] $Name) {
    if ($Site.PSObject.Properties[$Name] -and $null -ne $Site.$Name) { @($Site.$Name) } else { @() }
}

# A name matched as ConfigMgr matches it: a wildcard pattern unless wildcards are disabled.
function Test-StubName([string] $Value, [string] $Pattern, [hashtable] $Bound) {
    if ($Bound.ContainsKey('DisableWildcardHandling')) { return $Value -ceq $Pattern -or $Value -eq $Pattern }
    return $Value -like $Pattern
}

function Add-StubCall($Site, [string] $Cmdlet, [string] $Set, [hashtable] $Bound, [bool] $Change) {
    $parameters = [ordered]@{}
    foreach ($key in @($Bound.Keys | Sort-Object)) {
        $value = $Bound[$key]
        if ($value -is [switch]) { $value = $value.IsPresent }
        elseif ($value -is [psobject] -and $value.PSObject.Properties['PackageID']) { $value = "object:$($value.PackageID)" }
        $parameters[$key] = $value
    }
    $Site.calls = @(Get-StubList $Site 'calls') + @([pscustomobject]@{ cmdlet = $Cmdlet; set = $Set; change = $Change; parameters = [pscustomobject]$parameters })
    if ($Site.fail -eq $Cmdlet) {
        Save-StubSite $Site
        throw "Access denied (stand-in: $Cmdlet fails)"
    }
}

