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

# A Ceph daemon can die during start-up on a loaded machine (seen: the OSD,
# with nothing in its log); the script then stops what it started, so a
# bounded retry is safe. Three failures are a real failure.
for attempt in 1 2 3; do
  if bash scripts/s3-server.sh start >/dev/null; then break; fi
  [ "$attempt" = 3 ] && { echo "S3 test server ($S3_SERVER) failed to start 3 times" >&2; exit 1; }
  echo "S3 test server ($S3_SERVER) failed to start (attempt $attempt); retrying" >&2
  sleep 2
done
trap 'bash scripts/s3-server.sh stop >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$S3_STATE/env"

cargo test --workspace "$@"
