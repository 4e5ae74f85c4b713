// osmedia strip-indexes as a pipeline step; see osmediaStripIndexes.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('strip-indexes', args)
}
