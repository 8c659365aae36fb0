"""Where bytes live: one small protocol, with back-ends for a local folder and memory (S3 and rclone
follow). Services see keys like `upload/<user>/ab/cd/<id>.jpg`, never paths or URLs."""
