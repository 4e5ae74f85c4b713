// osmedia distribute as a pipeline step; see osmediaDistribute.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('distribute', args)
}
