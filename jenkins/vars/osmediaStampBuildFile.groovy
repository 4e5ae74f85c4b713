// osmedia stamp-build-file as a pipeline step; see osmediaStampBuildFile.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('stamp-build-file', args)
}
