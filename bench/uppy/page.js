// Uppy with its defaults, pointed at Chute's Companion-compatible routes, declaring each
// file's size: docs/clients.md's "Uppy" section and nothing more. The file is added as a picker
// adds it. `?sizes=undeclared` leaves the size out (tests/e2e/test_uppy.py: Chute refuses
// such a file in parts, and Uppy's error says why).
const declareSizes = new URLSearchParams(window.location.search).get('sizes') !== 'undeclared'
const uppy = new window.Uppy(
  declareSizes
    ? { onBeforeFileAdded: (file) => ({ ...file, meta: { ...file.meta, size: file.size } }) }
    : {},
).use(window.AwsS3, {
  companionEndpoint: `${window.location.origin}/api/uppy`,
})

window.results = []
uppy.on('upload-success', (file, response) => {
  window.results.push({ name: file.name, ok: true, location: response.uploadURL, at: performance.now() })
})
uppy.on('upload-error', (file, error) => {
  window.results.push({ name: file.name, ok: false, error: String(error), at: performance.now() })
})
document.getElementById('files').addEventListener('change', (event) => {
  for (const file of event.target.files) {
    uppy.addFile({ name: file.name, type: file.type, data: file })
  }
  uppy.upload()
})
