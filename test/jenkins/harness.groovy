// Loads every vars/ step of the osmedia shared library with stubbed pipeline steps (bat,
// powershell, sh, writeJSON, readJSON, withCredentials, …) and checks what each would run.
// Usage: groovy harness.groovy <jenkins/vars dir> <scratch dir> <Jenkinsfile>
// Prints "ok …" / "not ok …" lines and "N passed, N failed"; exits 1 on any failure.
import groovy.json.JsonOutput
import groovy.json.JsonSlurper

File varsDir = new File(args[0])
File scratch = new File(args[1])
File jenkinsfile = new File(args[2])
int passed = 0
int failed = 0
def check = { String name, boolean ok, String detail = '' ->
    if (ok) { passed++; println "ok ${name}" } else { failed++; println "not ok ${name}: ${detail}" }
}

/** A fake agent: records every pipeline step call and plays the osmedia CLI's part. */
class Agent {
    File dir
    boolean unix
    int exitCode = 0
    Map cliResult = [ok: true]
    boolean writeResult = true
    List calls = []
    boolean inCredentials = false
    Map env = [BUILD_NUMBER: '42']
    static final String USER = 'CORP\\svc-osmedia-share'
    static final String SECRET = 'pa55 w0rd" & echo %PATH% $(id) `x`'

    Map binding() {
        def agent = this
        return [
            env: agent.env,
            isUnix: { -> agent.unix },
            writeJSON: { Map m -> agent.calls << [step: 'writeJSON', file: m.file]; File f = new File(agent.dir, m.file); f.parentFile.mkdirs(); f.text = JsonOutput.toJson(m.json) },
            readJSON: { Map m -> new JsonSlurper().parse(new File(agent.dir, m.file)) },
            fileExists: { String f -> new File(agent.dir, f).exists() },
            bat: { Map m -> agent.shell('bat', m) },
            powershell: { Map m -> agent.shell('powershell', m) },
            sh: { Map m -> agent.shell('sh', m) },
            usernamePassword: { Map m -> [kind: 'usernamePassword'] + m },
            withCredentials: { List bindings, Closure body ->
                agent.calls << [step: 'withCredentials', bindings: bindings]; agent.inCredentials = true
                // As Jenkins does: the values only in the environment of the steps inside.
                agent.env.OSMEDIA_USERNAME = Agent.USER; agent.env.OSMEDIA_PASSWORD = Agent.SECRET
                try { return body() } finally { agent.inCredentials = false; agent.env.remove('OSMEDIA_USERNAME'); agent.env.remove('OSMEDIA_PASSWORD') }
            },
            error: { String message -> throw new IllegalStateException(message) },
        ]
    }

    def shell(String kind, Map m) {
        calls << [step: kind, script: m.script, returnStatus: m.returnStatus, inCredentials: inCredentials, env: new LinkedHashMap(env)]
        def match = (m.script =~ /--result-file "([^"]+)"/)
        if (writeResult && match.find()) {
            File f = new File(dir, match.group(1)); f.parentFile.mkdirs(); f.text = JsonOutput.toJson(cliResult)
        }
        return exitCode
    }
}

/** Loads a vars script the way Jenkins does: its binding holds the pipeline steps and the library's other vars. */
def load = { Agent agent, String name ->
    Binding binding = new Binding(agent.binding())
    GroovyShell shell = new GroovyShell(binding)
    Script cli = shell.parse(new File(varsDir, 'osmediaCli.groovy'))
    binding.setVariable('osmediaCli', { String command, Map options -> cli.call(command, options) })
    return shell.parse(new File(varsDir, "${name}.groovy"))
}

def steps = [
    osmediaImportMedia: 'import-media', osmediaStripIndexes: 'strip-indexes', osmediaApplyUpdates: 'apply-updates',
    osmediaStampBuildFile: 'stamp-build-file', osmediaDistribute: 'distribute', osmediaGenerateTaskSequence: 'generate-task-sequence', osmediaRun: 'run',
    osmediaResolve: 'updates resolve',
]
// Values a shell would act on, if they ever reached a command line.
Map hostile = [
    workspace: 'C:\\ws\\" & del /q C:\\* & echo "',
    source: '$(rm -rf /) `reboot` ; shutdown -h now',
    keep: ["Enterprise'; Stop-Computer; '", '%PATH%', '!x!'],
    revision: "line1\nline2\r\n\u00e9\u4e2d\u6587 \uD83D\uDE00",
    targets: ['\\\\cm01\\sources$\\OS\\Win 11 (x64) & more'],
    dryRun: true,
    wait: 5,
]

steps.each { String name, String command ->
    [['bat', false], ['powershell', false], ['sh', true]].each { shellKind, unix ->
        Agent agent = new Agent(dir: new File(scratch, "${name}-${shellKind}"), unix: unix, cliResult: [ok: true, command: command, build: '10.0.26100.1742'])
        agent.dir.mkdirs()
        Map input = new LinkedHashMap(hostile)
        if (shellKind == 'powershell') input.shell = 'powershell'
        def result = load(agent, name).call(input)
        String label = "${name} (${shellKind})"

        def writes = agent.calls.findAll { it.step == 'writeJSON' }
        def runs = agent.calls.findAll { it.step in ['bat', 'powershell', 'sh'] }
        check("${label}: writes one arguments file and runs one ${shellKind} command", writes.size() == 1 && runs.size() == 1 && runs[0].step == shellKind, "${agent.calls}")
        String argsFile = writes[0].file
        String id = argsFile.replaceAll(/^\.osmedia\/args\//, '').replaceAll(/\.json$/, '')
        check("${label}: the arguments file is named for the command and build", id ==~ /${command.replaceAll(' ', '-')}-42-[0-9a-f]{8}/, id)
        String tail = "${command} --args-file \".osmedia/args/${id}.json\" --result-file \".osmedia/results/${id}.json\" --junit \".osmedia/reports/${id}.xml\""
        String expected = shellKind == 'bat' ? "@if defined OSMEDIA_CLI (call \"%OSMEDIA_CLI%\" ${tail}) else (call osmedia ${tail})"
            : shellKind == 'powershell' ? "\$cli = if (\$env:OSMEDIA_CLI) { \$env:OSMEDIA_CLI } else { 'osmedia' }; & \$cli ${tail}; exit \$LASTEXITCODE"
            : "\"\${OSMEDIA_CLI:-osmedia}\" ${tail}"
        check("${label}: runs exactly the expected command", runs[0].script == expected, "\n  got:      ${runs[0].script}\n  expected: ${expected}")
        // Kept for the PowerShell grammar check in test/jenkins.test.ts.
        if (shellKind == 'powershell') new File(scratch, "${name}.ps1").text = runs[0].script
        check("${label}: asks for the exit status", runs[0].returnStatus == true, "${runs[0]}")
        check("${label}: no argument value reaches the command line", hostile.values().flatten().findAll { it instanceof String }.every { !runs[0].script.contains(it) }, runs[0].script)
        def written = new JsonSlurper().parse(new File(agent.dir, argsFile))
        Map expectedArgs = new LinkedHashMap(hostile)
        check("${label}: the arguments file holds the arguments exactly", written == expectedArgs, "${written}")
        check("${label}: returns the parsed result with its report", result.ok == true && result.build == '10.0.26100.1742' && result.junitFile == ".osmedia/reports/${id}.xml", "${result}")
    }
}

// Credentials (issue 17.6): on a Windows agent the targets' shares are connected with them for the
// length of the command and disconnected after, by one PowerShell script; the user and password are
// only in the environment withCredentials sets, never in a script, a command line, a file or the log.
Agent credAgent = new Agent(dir: new File(scratch, 'credentials'), unix: false)
credAgent.dir.mkdirs()
load(credAgent, 'osmediaDistribute').call([workspace: 'D:\\ws', targets: ['\\\\cm01\\src$\\OS\\Win11', '\\\\cm02.corp\\pkg', 'D:\\local'], credentialsId: 'cm-share-writer'])
def cred = credAgent.calls.find { it.step == 'withCredentials' }
check('credentials: bound with withCredentials as OSMEDIA_USERNAME/OSMEDIA_PASSWORD',
    cred != null && cred.bindings == [[kind: 'usernamePassword', credentialsId: 'cm-share-writer', usernameVariable: 'OSMEDIA_USERNAME', passwordVariable: 'OSMEDIA_PASSWORD']], "${cred}")
def credRuns = credAgent.calls.findAll { it.step in ['bat', 'powershell', 'sh'] }
check('credentials: one PowerShell script runs, inside withCredentials, with the secret in its environment only',
    credRuns.size() == 1 && credRuns[0].step == 'powershell' && credRuns[0].inCredentials == true && credRuns[0].env.OSMEDIA_PASSWORD == Agent.SECRET, "${credAgent.calls}")
String credScript = credRuns[0]?.script ?: ''
String credArgsFile = credAgent.calls.find { it.step == 'writeJSON' }.file
String credId = credArgsFile.replaceAll(/^\.osmedia\/args\//, '').replaceAll(/\.json$/, '')
check('credentials: the script connects the shares from the arguments file, runs distribute, and disconnects in finally',
    credScript.contains("Get-Content -Raw -LiteralPath '${credArgsFile}'") &&
    credScript.contains('New-SmbMapping -RemotePath $share -UserName $env:OSMEDIA_USERNAME -Password $env:OSMEDIA_PASSWORD -Persistent $false') &&
    credScript.contains("& \$cli distribute --args-file \".osmedia/args/${credId}.json\" --result-file \".osmedia/results/${credId}.json\" --junit \".osmedia/reports/${credId}.xml\"") &&
    credScript.indexOf('} finally {') < credScript.indexOf('Remove-SmbMapping -RemotePath $share -Force') &&
    credScript.trim().endsWith('exit $code'), credScript)
new File(scratch, 'credentials.ps1').text = credScript
check('credentials: no target, user or password is in the script', ['cm01', 'cm02', 'D:\\local', Agent.USER, Agent.SECRET, 'pa55'].every { !credScript.contains(it) }, credScript)
def credArgs = new JsonSlurper().parse(new File(credAgent.dir, credArgsFile))
check('credentials: the credential id is not in the arguments file', !credArgs.containsKey('credentialsId') && credArgs.targets.size() == 3, "${credArgs}")
List credFiles = []
credAgent.dir.eachFileRecurse { if (it.isFile()) credFiles << it }
check('credentials: no file on the agent holds the user or the password', credFiles.every { f -> !f.text.contains('pa55') && !f.text.contains('svc-osmedia-share') }, "${credFiles}")
check('credentials: nothing outside withCredentials sees them', credAgent.env.OSMEDIA_PASSWORD == null && credAgent.calls.findAll { it.step != 'powershell' }.every { !"${it}".contains('pa55') }, "${credAgent.calls}")

Agent credUnix = new Agent(dir: new File(scratch, 'credentials-unix'), unix: true)
credUnix.dir.mkdirs()
String unixError = null
try { load(credUnix, 'osmediaDistribute').call([workspace: '/w', targets: ['/mnt/pkg'], credentialsId: 'x']) } catch (IllegalStateException e) { unixError = e.message }
check('credentials: on Linux refused with the mount.cifs way, before anything runs',
    unixError?.contains('on Linux, mount the share first (mount.cifs') && !credUnix.calls.any { it.step in ['sh', 'withCredentials'] }, "${unixError} ${credUnix.calls}")
Agent credOther = new Agent(dir: new File(scratch, 'credentials-other'), unix: false)
credOther.dir.mkdirs()
String otherError = null
try { load(credOther, 'osmediaImportMedia').call([workspace: 'D:\\w', source: '\\\\iso\\x.iso', credentialsId: 'x']) } catch (IllegalStateException e) { otherError = e.message }
check('credentials: refused on a step that is not distribute', otherError?.contains('pass it to osmediaDistribute, not to import-media') && !credOther.calls.any { it.step in ['bat', 'powershell', 'withCredentials'] }, "${otherError}")

// A failed command fails the step with osmedia's message, fix and log.
Agent failing = new Agent(dir: new File(scratch, 'failing'), unix: true, exitCode: 2,
    cliResult: [ok: false, error: [type: 'UsageError', message: 'No image in install.wim matches "Enterprize"', fix: 'Use an EditionID', logPath: '/w/.osmedia/logs/x.log']])
failing.dir.mkdirs()
String failure = null
try { load(failing, 'osmediaStripIndexes').call([workspace: '/w', keep: ['Enterprize']]) } catch (IllegalStateException e) { failure = e.message }
check('failure: the step fails with the exit code, message, fix and log',
    failure == 'osmedia strip-indexes failed (exit code 2, bad usage or input): No image in install.wim matches "Enterprize"\nfix: Use an EditionID\nlog: /w/.osmedia/logs/x.log', "${failure}")

Agent missing = new Agent(dir: new File(scratch, 'missing'), unix: true, exitCode: 127, writeResult: false)
missing.dir.mkdirs()
String notInstalled = null
try { load(missing, 'osmediaRun').call([recipe: 'osmedia.yml']) } catch (IllegalStateException e) { notInstalled = e.message }
check('failure: no result file (osmedia not installed) is said so', notInstalled?.contains('osmedia wrote no result (exit code 127); is it installed on this agent?'), "${notInstalled}")

Agent badShell = new Agent(dir: new File(scratch, 'badshell'), unix: false)
badShell.dir.mkdirs()
String shellError = null
try { load(badShell, 'osmediaRun').call([recipe: 'x.yml', shell: 'cmd /c evil']) } catch (IllegalStateException e) { shellError = e.message }
check('usage: an unknown shell is refused before anything runs', shellError == "osmedia: shell must be 'bat' or 'powershell', not 'cmd /c evil'" && badShell.calls.isEmpty(), "${shellError} ${badShell.calls}")

// Optional values the pipeline does not have (issue 17.8): left out of the arguments file, never null or "null".
Agent nulls = new Agent(dir: new File(scratch, 'nulls'), unix: true)
nulls.dir.mkdirs()
load(nulls, 'osmediaStampBuildFile').call([workspace: '/w', revision: null])
load(nulls, 'osmediaApplyUpdates').call([workspace: '/w', from: 'updates', files: [[path: 'a.msu', sha256: null], [path: 'b.cab', sha256: 'ab']], netfx3: null])
def nullArgs = nulls.calls.findAll { it.step == 'writeJSON' }.collect { new File(nulls.dir, it.file).text }
check('nulls: a null option is left out of the arguments file', new JsonSlurper().parseText(nullArgs[0]) == [workspace: '/w'], nullArgs[0])
check('nulls: nested nulls are left out too', new JsonSlurper().parseText(nullArgs[1]) == [workspace: '/w', from: 'updates', files: [[path: 'a.msu'], [path: 'b.cab', sha256: 'ab']]], nullArgs[1])
check('nulls: no file holds null or "null"', nullArgs.every { !it.contains('null') }, "${nullArgs}")

// The example Jenkinsfile is valid Groovy (declarative syntax is Groovy method calls with closures).
try {
    // Jenkins supplies the @Library annotation; an equivalent stand-in lets plain Groovy compile the file.
    GroovyShell jenkins = new GroovyShell()
    jenkins.classLoader.parseClass('import java.lang.annotation.*\n@Retention(RetentionPolicy.SOURCE) @interface Library { String[] value() }')
    jenkins.parse(jenkinsfile)
    check('Jenkinsfile: parses', true)
} catch (Throwable e) {
    check('Jenkinsfile: parses', false, e.message)
}

println "${passed} passed, ${failed} failed"
System.exit(failed == 0 ? 0 : 1)
