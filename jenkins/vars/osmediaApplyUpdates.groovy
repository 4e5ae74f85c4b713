// osmedia apply-updates as a pipeline step; see osmediaApplyUpdates.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('apply-updates', args)
}
