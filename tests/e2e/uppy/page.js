// Uppy pointed at Chute with configuration only: the README's "Uppy" section, nothing more.
const uppy = new window.Uppy().use(window.AwsS3, {
  companionEndpoint: `${window.location.origin}/api/uppy`,
})

// What a file picker (or Uppy's Dashboard) does: add the chosen files, start the upload.
window.results = []
uppy.on('upload-success', (file, response) => {
  window.results.push({ name: file.name, ok: true, location: response.uploadURL })
})
uppy.on('upload-error', (file, error) => {
  window.results.push({ name: file.name, ok: false, error: String(error) })
})
document.getElementById('files').addEventListener('change', (event) => {
  for (const file of event.target.files) {
    uppy.addFile({ name: file.name, type: file.type, data: file })
  }
  uppy.upload()
})
