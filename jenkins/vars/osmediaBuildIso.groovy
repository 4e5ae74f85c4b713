// osmedia build-iso as a pipeline step; see osmediaBuildIso.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('build-iso', args)
}
