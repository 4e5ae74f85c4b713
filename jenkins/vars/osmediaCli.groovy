// Runs one osmedia command on the current agent. The options go into a JSON file (writeJSON) and
// the command line holds only constants and paths this step generates, so no value from a
// Jenkinsfile is ever interpolated into a shell. Credentials come only from withCredentials.
//
//   def result = osmediaCli('strip-indexes', [workspace: 'C:\\osmedia\\ws', keep: ['Enterprise']])
//
// Special keys (not passed to osmedia):
//   credentialsId  a Jenkins username/password credential for the distribute targets' shares.
//                  On a Windows agent, each \\server\share of the targets is connected with it for
//                  the length of the command (New-SmbMapping, the PowerShell form of `net use`) and
//                  disconnected after (Remove-SmbMapping), in one PowerShell script that reads the
//                  shares from the arguments file and the user and password from the environment
//                  withCredentials sets: neither is on a command line, in the script or in a file.
//                  Linux agents: mount the share first (jenkins/README.md); credentialsId is refused.
//   shell          on Windows agents: 'bat' (default) or 'powershell'
// The CLI is `osmedia` on PATH, or the path in the agent's OSMEDIA_CLI environment variable.
// Returns the parsed JSON result; a failed command fails the step with osmedia's message and fix.
// Every command leaves a JUnit report: junit '.osmedia/reports/*.xml'

def call(String command, Map args = [:]) {
    Map options = new LinkedHashMap(args ?: [:])
    String credentialsId = options.remove('credentialsId') as String
    String shell = (options.remove('shell') ?: 'bat') as String
    if (!(shell in ['bat', 'powershell'])) {
        error("osmedia: shell must be 'bat' or 'powershell', not '${shell}'")
    }

    // A sub-command ('updates resolve') names its files with a dash.
    String id = "${command.replaceAll(' ', '-')}-${env.BUILD_NUMBER ?: '0'}-${UUID.randomUUID().toString().substring(0, 8)}"
    String argsFile = ".osmedia/args/${id}.json"
    String resultFile = ".osmedia/results/${id}.json"
    String junitFile = ".osmedia/reports/${id}.xml"
    // An optional value the pipeline does not have (sha256: recipe.media.sha256 with no pin,
    // revision: env.GIT_COMMIT outside Git) is left out, never written as null or "null".
    writeJSON(file: argsFile, json: withoutNulls(options), pretty: 2)

    // Only the command name (from this library) and generated paths: nothing from the caller.
    String tail = "${command} --args-file \"${argsFile}\" --result-file \"${resultFile}\" --junit \"${junitFile}\""
    Closure run = {
        if (isUnix()) {
            return sh(script: "\"\${OSMEDIA_CLI:-osmedia}\" ${tail}", returnStatus: true)
        }
        if (shell == 'powershell') {
            return powershell(script: "\$cli = if (\$env:OSMEDIA_CLI) { \$env:OSMEDIA_CLI } else { 'osmedia' }; & \$cli ${tail}; exit \$LASTEXITCODE", returnStatus: true)
        }
        // `call`: osmedia is a .cmd shim when installed with npm, and a batch file must call another.
        return bat(script: "@if defined OSMEDIA_CLI (call \"%OSMEDIA_CLI%\" ${tail}) else (call osmedia ${tail})", returnStatus: true)
    }

    int status
    if (credentialsId) {
        if (command != 'distribute') {
            error("osmedia: credentialsId connects the distribute targets' shares; pass it to osmediaDistribute, not to ${command}")
        }
        if (isUnix()) {
            error('osmedia: credentialsId connects UNC shares on Windows agents only; on Linux, mount the share first (mount.cifs, see jenkins/README.md) and give the mount folder as the target')
        }
        withCredentials([usernamePassword(credentialsId: credentialsId, usernameVariable: 'OSMEDIA_USERNAME', passwordVariable: 'OSMEDIA_PASSWORD')]) {
            status = powershell(script: connectedScript(argsFile, tail), returnStatus: true) as int
        }
    } else {
        status = run() as int
    }

    Map result = fileExists(resultFile) ? (readJSON(file: resultFile) as Map) : [ok: false, error: [message: "osmedia wrote no result (exit code ${status}); is it installed on this agent?"]]
    result.junitFile = junitFile
    result.exitCode = status
    if (status != 0) {
        // osmedia's exit-code table (README "Exit codes"; src/util/errors.ts EXIT_MEANINGS).
        Map meanings = [1: 'a step failed', 2: 'bad usage or input', 3: 'locked by another run']
        String meaning = meanings[status] ? ", ${meanings[status]}" : ''
        Map failure = (result.error ?: [:]) as Map
        String fix = failure.fix ? "\nfix: ${failure.fix}" : ''
        String log = failure.logPath ? "\nlog: ${failure.logPath}" : ''
        error("osmedia ${command} failed (exit code ${status}${meaning}): ${failure.message ?: 'see the console log'}${fix}${log}")
    }
    return result
}

/** The options without null values, at every depth (osmedia also reads a null as "not set").
 *  Plain for loops: they are safe in CPS-transformed pipeline code. */
def withoutNulls(value) {
    if (value instanceof Map) {
        Map kept = new LinkedHashMap()
        for (def entry in (value as Map).entrySet()) {
            if (entry.value != null) {
                kept[entry.key] = withoutNulls(entry.value)
            }
        }
        return kept
    }
    if (value instanceof List) {
        List items = []
        for (def item in (value as List)) {
            items << withoutNulls(item)
        }
        return items
    }
    return value
}

/**
 * The PowerShell that connects each \\server\share of the targets in the arguments file with the
 * credential in OSMEDIA_USERNAME / OSMEDIA_PASSWORD, runs osmedia, and disconnects what it connected,
 * whatever happened. New-SmbMapping -RemotePath -UserName -Password -Persistent and Remove-SmbMapping
 * -RemotePath -Force: https://learn.microsoft.com/powershell/module/smbshare/new-smbmapping and
 * …/remove-smbmapping (Windows 8 / Server 2012 and later). Only generated paths are interpolated.
 */
String connectedScript(String argsFile, String tail) {
    return '''$ErrorActionPreference = 'Stop'
$cli = if ($env:OSMEDIA_CLI) { $env:OSMEDIA_CLI } else { 'osmedia' }
$options = Get-Content -Raw -LiteralPath '__ARGS__' | ConvertFrom-Json
$shares = @($options.targets | ForEach-Object { if ("$_" -match '^[\\\\/]{2}[^\\\\/]+[\\\\/][^\\\\/]+') { $Matches[0].Replace('/', '\\') } } | Select-Object -Unique)
$connected = @()
$code = 1
try {
  foreach ($share in $shares) {
    try {
      New-SmbMapping -RemotePath $share -UserName $env:OSMEDIA_USERNAME -Password $env:OSMEDIA_PASSWORD -Persistent $false | Out-Null
      $connected += $share
    } catch {
      [Console]::Error.WriteLine("osmedia: cannot connect $share as $($env:OSMEDIA_USERNAME): $($_.Exception.Message)")
      $code = 2
      break
    }
  }
  if ($connected.Count -eq $shares.Count) {
    & $cli __TAIL__
    $code = $LASTEXITCODE
  }
} finally {
  foreach ($share in $connected) {
    Remove-SmbMapping -RemotePath $share -Force -ErrorAction SilentlyContinue
  }
}
exit $code
'''.replace('__ARGS__', argsFile).replace('__TAIL__', tail)
}

