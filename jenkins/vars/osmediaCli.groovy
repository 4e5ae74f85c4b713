// Runs one osmedia command on the current agent. The options go into a JSON file (writeJSON) and
// the command line holds only constants and paths this step generates, so no value from a
// Jenkinsfile is ever interpolated into a shell. Credentials come only from withCredentials.
//
//   def result = osmediaCli('strip-indexes', [workspace: 'C:\\osmedia\\ws', keep: ['Enterprise']])
//
// Special keys (not passed to osmedia):
//   credentialsId  a Jenkins username/password credential, exposed to osmedia as
//                  OSMEDIA_USERNAME / OSMEDIA_PASSWORD for the length of the command
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
    writeJSON(file: argsFile, json: options, pretty: 2)

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
        withCredentials([usernamePassword(credentialsId: credentialsId, usernameVariable: 'OSMEDIA_USERNAME', passwordVariable: 'OSMEDIA_PASSWORD')]) {
            status = run() as int
        }
    } else {
        status = run() as int
    }

    Map result = fileExists(resultFile) ? (readJSON(file: resultFile) as Map) : [ok: false, error: [message: "osmedia wrote no result (exit code ${status}); is it installed on this agent?"]]
    result.junitFile = junitFile
    if (status != 0) {
        Map failure = (result.error ?: [:]) as Map
        String fix = failure.fix ? "\nfix: ${failure.fix}" : ''
        String log = failure.logPath ? "\nlog: ${failure.logPath}" : ''
        error("osmedia ${command} failed (exit code ${status}): ${failure.message ?: 'see the console log'}${fix}${log}")
    }
    return result
}
