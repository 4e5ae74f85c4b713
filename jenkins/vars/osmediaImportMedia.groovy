// osmedia import-media as a pipeline step; see osmediaImportMedia.txt and osmediaCli.groovy.
def call(Map args = [:]) {
    return osmediaCli('import-media', args)
}
