// Bundled by esbuild at test time from the npm packages in .cache/npm-uppy.
import Uppy from '@uppy/core'
import AwsS3 from '@uppy/aws-s3'

window.Uppy = Uppy
window.AwsS3 = AwsS3
