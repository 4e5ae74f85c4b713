# Checks that PowerShell scripts run on Windows PowerShell 5.1 (the console's PowerShell, on which
# site servers run osmedia's scripts), with PowerShell's own parser
# (System.Management.Automation.Language.Parser) under PowerShell 7: a script must parse, and must
# use none of the syntax 5.1 lacks. From Microsoft Learn's "What's New in PowerShell 7.x" pages:
#   7.0  ternary a ? b : c; ??, ??=; pipeline chains && and ||; ForEach-Object -Parallel
#   7.1  ?. and ?[] null-conditional member access (experimental in 7.0)
#   7.3  clean { } blocks
# and a script with non-ASCII text must start with a UTF-8 BOM, as 5.1 reads a file without one in
# the ANSI code page (about_Character_Encoding). Prints one JSON array of problems
# ({ file, line, problem }) and exits 1 when there is any.
#   pwsh -NoProfile -File scripts/ps51-check.ps1 <script.ps1>...
param([Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)] [string[]] $Path)
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$problems = New-Object System.Collections.Generic.List[object]
function Add-Problem([string] $File, [int] $Line, [string] $Problem) {
    $problems.Add([pscustomobject]@{ file = $File; line = $Line; problem = $Problem })
}

foreach ($file in $Path) {
    $bytes = [IO.File]::ReadAllBytes($file)
    $bom = $bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF
    if (-not $bom -and @($bytes | Where-Object { $_ -ge 0x80 } | Select-Object -First 1).Count -gt 0) {
        Add-Problem $file 1 'non-ASCII text without a UTF-8 BOM (Windows PowerShell 5.1 reads it as ANSI)'
    }
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($file, [ref] $tokens, [ref] $errors)
    foreach ($e in $errors) { Add-Problem $file $e.Extent.StartLineNumber "parse error: $($e.Message)" }

    $found = $ast.FindAll({ $true }, $true)
    foreach ($node in $found) {
        $line = $node.Extent.StartLineNumber
        switch ($node.GetType().Name) {
            'TernaryExpressionAst' { Add-Problem $file $line 'ternary operator ? : (PowerShell 7.0)' }
            'PipelineChainAst' { Add-Problem $file $line "pipeline chain operator $($node.Operator) (PowerShell 7.0; use if (`$?))" }
            'BinaryExpressionAst' {
                if ($node.Operator -eq 'QuestionQuestion') { Add-Problem $file $line 'null-coalescing operator ?? (PowerShell 7.0)' }
            }
            'AssignmentStatementAst' {
                if ($node.Operator -eq 'QuestionQuestionEquals') { Add-Problem $file $line 'null-coalescing assignment ??= (PowerShell 7.0)' }
            }
            'MemberExpressionAst' {
                if ($node.NullConditional) { Add-Problem $file $line 'null-conditional member access ?. (PowerShell 7.1)' }
            }
            'InvokeMemberExpressionAst' {
                if ($node.NullConditional) { Add-Problem $file $line 'null-conditional method call ?. (PowerShell 7.1)' }
            }
            'IndexExpressionAst' {
                if ($node.NullConditional) { Add-Problem $file $line 'null-conditional index ?[] (PowerShell 7.1)' }
            }
            'ScriptBlockAst' {
                if ($node.PSObject.Properties['CleanBlock'] -and $node.CleanBlock) { Add-Problem $file $node.CleanBlock.Extent.StartLineNumber 'clean block (PowerShell 7.3)' }
            }
            'CommandAst' {
                $name = $node.GetCommandName()
                if ($name -in 'ForEach-Object', 'foreach', '%') {
                    foreach ($element in $node.CommandElements) {
                        if ($element -is [System.Management.Automation.Language.CommandParameterAst] -and 'parallel'.StartsWith($element.ParameterName.ToLowerInvariant()) -and $element.ParameterName.Length -ge 2) {
                            Add-Problem $file $line 'ForEach-Object -Parallel (PowerShell 7.0)'
                        }
                    }
                }
            }
        }
    }
}
ConvertTo-Json -InputObject @($problems.ToArray()) -Depth 3 -Compress
if ($problems.Count -gt 0) { exit 1 }
