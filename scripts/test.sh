#!/usr/bin/env bash
# Runs shoal's whole test suite: starts a real S3-compatible server on
# 127.0.0.1 (installing it on first use), runs `cargo test --workspace`
# against it, and stops the server again, whatever the outcome.
#
#   bash scripts/test.sh [extra cargo test args]
#
# S3_SERVER=moto (default: quick to install and start) or rgw (Ceph RADOS
# Gateway from Debian's packages; verifies SigV4 like real S3; used by CI).
set -euo pipefail
cd "$(dirname "$0")/.."

export S3_SERVER=${S3_SERVER:-moto}
export S3_STATE=${S3_STATE:-${TMPDIR:-/tmp}/shoal-s3-server}
export S3_BUCKETS=${S3_BUCKETS:-shoal-test shoal-inventory}

bash scripts/s3-server.sh start >/dev/null
trap 'bash scripts/s3-server.sh stop >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$S3_STATE/env"

cargo test --workspace "$@"
