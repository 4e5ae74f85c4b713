// osmedia updates resolve as a pipeline step; see osmediaResolve.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('updates resolve', args)
}
