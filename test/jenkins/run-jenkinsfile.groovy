// Runs a declarative Jenkinsfile the way Jenkins walks it (stages in order, `when` conditions,
// `error` stopping the build, `post`), with the pipeline steps stubbed, to see what it would do.
// The library's osmedia* steps are recorded (with the map each was given); osmediaPatchTuesday is
// the library's real script. Usage:
//   groovy run-jenkinsfile.groovy <Jenkinsfile> <jenkins/vars dir> <input.json> <output.json>
// input: {"recipe", "params", "env", "runs": [{"startTimeInMillis", "cause", "timeZone", and optionally their own "recipe", "params", "env"}]}
// output: one object per run: {"stages": [names run], "calls": [{"step", "args"}], "error", "result"}
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import org.codehaus.groovy.runtime.InvokerHelper

File jenkinsfile = new File(args[0])
File varsDir = new File(args[1])
Map input = new JsonSlurper().parse(new File(args[2])) as Map

class Stop extends RuntimeException {
    Stop(String m) { super(m) }
}

class Run {
    Map input
    Map spec
    List stages = []
    List calls = []
    String error
    Map currentBuild
    Map env
}

class StageSpec {
    Closure whenBlock
    Closure stepsBlock
    def when(Closure c) { whenBlock = c }
    def steps(Closure c) { stepsBlock = c }
}

class WhenSpec {
    Run run
    List conditions = []
    def triggeredBy(String cause) { conditions << { -> run.spec.cause == cause } }
    def expression(Closure c) { conditions << { -> c.call() as boolean } }
}

class EnvCollector {
    Map values = [:]
    void setProperty(String name, value) { values[name] = value }
}

List results = []
// Jenkins supplies @Library; a stand-in lets plain Groovy compile the file. Compiled once, run once per build.
GroovyShell compiler = new GroovyShell()
compiler.classLoader.parseClass('import java.lang.annotation.*\n@Retention(RetentionPolicy.SOURCE) @interface Library { String[] value() }')
Class pipelineClass = compiler.classLoader.parseClass(jenkinsfile)
Class patchTuesdayClass = compiler.classLoader.parseClass(new File(varsDir, 'osmediaPatchTuesday.groovy'))
for (Map spec in (input.runs as List)) {
    TimeZone.setDefault(TimeZone.getTimeZone((spec.timeZone ?: 'UTC') as String))
    Map recipe = (spec.recipe ?: input.recipe) as Map
    Run run = new Run(input: input, spec: spec, currentBuild: [startTimeInMillis: spec.startTimeInMillis as long, result: null],
        env: [JOB_BASE_NAME: 'win11', BUILD_NUMBER: '7'] + ((spec.env ?: input.env ?: [:]) as Map))
    Binding binding = new Binding()
    Script patchTuesday = InvokerHelper.createScript(patchTuesdayClass, binding)
    Closure record = { String step -> { Map a -> run.calls << [step: step, args: a]; return [ok: true, targets: [], summary: [xml: 'ts.xml', packageId: a.packageId]] } }
    Closure runBlock = { Closure c, Object delegate -> c.resolveStrategy = Closure.DELEGATE_FIRST; c.delegate = delegate; c.call() }
    Map vars = [
        env: run.env, params: (spec.params ?: input.params ?: [:]), currentBuild: run.currentBuild,
        osmediaPatchTuesday: patchTuesday,
        osmediaImportMedia: record('osmediaImportMedia'), osmediaStripIndexes: record('osmediaStripIndexes'), osmediaApplyUpdates: record('osmediaApplyUpdates'),
        osmediaStampBuildFile: record('osmediaStampBuildFile'), osmediaBuildIso: record('osmediaBuildIso'), osmediaDistribute: record('osmediaDistribute'),
        osmediaGenerateTaskSequence: record('osmediaGenerateTaskSequence'),
        readYaml: { Map m -> new JsonSlurper().parseText(JsonOutput.toJson(recipe)) },
        error: { String m -> throw new Stop(m) },
        echo: { String m -> },
        lock: { Map m, Closure body -> body() },
        dir: { String d, Closure body -> body() },
        junit: { Map m -> }, archiveArtifacts: { Map m -> }, bat: { Map m -> 0 },
        script: { Closure c -> c() },
        // Declarative sections that only configure the job.
        agent: { Closure c -> }, triggers: { Closure c -> }, parameters: { Closure c -> }, options: { Closure c -> },
        environment: { Closure c ->
            EnvCollector collector = new EnvCollector()
            runBlock(c, collector)
            run.env.putAll(collector.values.collectEntries { k, v -> [k, v.toString()] })
        },
        stages: { Closure c -> c() },
        stage: { String name, Closure c ->
            if (run.error) return
            StageSpec stage = new StageSpec()
            runBlock(c, stage)
            if (stage.whenBlock) {
                WhenSpec when = new WhenSpec(run: run)
                runBlock(stage.whenBlock, when)
                if (!when.conditions.every { it() }) return
            }
            run.stages << name
            try {
                stage.stepsBlock()
            } catch (Stop e) {
                run.error = e.message
                if (!run.currentBuild.result) run.currentBuild.result = 'FAILURE'
            }
        },
        post: { Closure c -> },
        pipeline: { Closure c -> c() },
    ]
    vars.each { k, v -> binding.setVariable(k as String, v) }
    InvokerHelper.createScript(pipelineClass, binding).run()
    results << [stages: run.stages, calls: run.calls, error: run.error, result: run.currentBuild.result ?: 'SUCCESS']
}
new File(args[3]).text = JsonOutput.toJson(results)
