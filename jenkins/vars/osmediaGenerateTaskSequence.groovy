// osmedia generate-task-sequence as a pipeline step; see osmediaGenerateTaskSequence.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('generate-task-sequence', args)
}
