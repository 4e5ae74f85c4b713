// osmedia run as a pipeline step; see osmediaRun.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('run', args)
}
