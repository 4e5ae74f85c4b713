# A stand-in for the console's ConfigurationManager module, for scripts/site-smoke.ts only.
@{
    RootModule        = 'ConfigurationManager.psm1'
    ModuleVersion     = '0.0.1'
    GUID              = '5b0e8a57-3f3e-4f4c-9a55-0d6f1e5c2b71'
    Description       = 'osmedia site-smoke stand-in: the cmdlets osmedia''s site scripts call, over a JSON file'
    PowerShellVersion = '5.1'
    FunctionsToExport = '*'
}
