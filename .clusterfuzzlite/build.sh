#!/bin/bash -eu
# ClusterFuzzLite (and OSS-Fuzz) entry point: the real script lives in
# the tree, so CI can run it outside Docker too (.ci/run).
exec "$SRC/plugtcp/fuzz/oss-fuzz-build.sh"
