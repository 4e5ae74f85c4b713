# The stand-in CimCmdlets for osmedia's site tests (scripts/site-stub).
@{
    RootModule        = 'OsmediaStubCim.psm1'
    ModuleVersion     = '0.0.1'
    GUID              = '0c1d9a44-8d7e-4a55-b1f0-6f1f6e0b7d2a'
    Description       = 'osmedia stand-in: Get-CimInstance, Get-CimClass, New-CimInstance and Invoke-CimMethod over a JSON site state file'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Get-CimInstance', 'Get-CimClass', 'New-CimInstance', 'Invoke-CimMethod')
}
