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

    Map binding() {
        def agent = this
        return [
            env: [BUILD_NUMBER: '42'],
            isUnix: { -> agent.unix },
            writeJSON: { Map m -> agent.calls << [step: 'writeJSON', file: m.file]; File f = new File(agent.dir, m.file); f.parentFile.mkdirs(); f.text = JsonOutput.toJson(m.json) },
            readJSON: { Map m -> new JsonSlurper().parse(new File(agent.dir, m.file)) },
            fileExists: { String f -> new File(agent.dir, f).exists() },
            bat: { Map m -> agent.shell('bat', m) },
            powershell: { Map m -> agent.shell('powershell', m) },
            sh: { Map m -> agent.shell('sh', m) },
            usernamePassword: { Map m -> [kind: 'usernamePassword'] + m },
            withCredentials: { List bindings, Closure body -> agent.calls << [step: 'withCredentials', bindings: bindings]; agent.inCredentials = true; try { return body() } finally { agent.inCredentials = false } },
            error: { String message -> throw new IllegalStateException(message) },
        ]
    }

    def shell(String kind, Map m) {
        calls << [step: kind, script: m.script, returnStatus: m.returnStatus, inCredentials: inCredentials]
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

// Credentials: only through withCredentials, never in the arguments file.
Agent credAgent = new Agent(dir: new File(scratch, 'credentials'), unix: false)
credAgent.dir.mkdirs()
load(credAgent, 'osmediaDistribute').call([workspace: 'D:\\ws', targets: ['\\\\cm01\\src$'], credentialsId: 'cm-share-writer'])
def cred = credAgent.calls.find { it.step == 'withCredentials' }
check('credentials: bound with withCredentials as OSMEDIA_USERNAME/OSMEDIA_PASSWORD',
    cred != null && cred.bindings == [[kind: 'usernamePassword', credentialsId: 'cm-share-writer', usernameVariable: 'OSMEDIA_USERNAME', passwordVariable: 'OSMEDIA_PASSWORD']], "${cred}")
check('credentials: the command runs inside withCredentials', credAgent.calls.find { it.step == 'bat' }?.inCredentials == true, "${credAgent.calls}")
def credArgs = new JsonSlurper().parse(new File(credAgent.dir, credAgent.calls.find { it.step == 'writeJSON' }.file))
check('credentials: the credential id is not in the arguments file', !credArgs.containsKey('credentialsId') && credArgs == [workspace: 'D:\\ws', targets: ['\\\\cm01\\src$']], "${credArgs}")

// A failed command fails the step with osmedia's message, fix and log.
Agent failing = new Agent(dir: new File(scratch, 'failing'), unix: true, exitCode: 2,
    cliResult: [ok: false, error: [type: 'UsageError', message: 'No image in install.wim matches "Enterprize"', fix: 'Use an EditionID', logPath: '/w/.osmedia/logs/x.log']])
failing.dir.mkdirs()
String failure = null
try { load(failing, 'osmediaStripIndexes').call([workspace: '/w', keep: ['Enterprize']]) } catch (IllegalStateException e) { failure = e.message }
check('failure: the step fails with the exit code, message, fix and log',
    failure == 'osmedia strip-indexes failed (exit code 2): No image in install.wim matches "Enterprize"\nfix: Use an EditionID\nlog: /w/.osmedia/logs/x.log', "${failure}")

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
