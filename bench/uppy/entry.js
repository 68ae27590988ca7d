// Bundled by esbuild at bench time (bench/upload_throughput.py) from the npm packages in the
// git-ignored .cache/npm-bench; nothing of Uppy is in the repository.
import Uppy from '@uppy/core'
import AwsS3 from '@uppy/aws-s3'

window.Uppy = Uppy
window.AwsS3 = AwsS3
