#!/bin/sh
# The S3 example: uploads the word-count example's 120 text files to the
# S3-compatible test server, runs a Distributed Map over the uploaded
# prefix (listObjectsV2) with a ResultWriter back to S3, then downloads
# and prints the manifest and the first result records.
#
#   bash scripts/s3-server.sh start >/dev/null && . "${S3_STATE:-/tmp/shoal-s3}/env"
#   sh examples/s3/run.sh [WORK_DIR]
#
# Needs the variables scripts/s3-server.sh's env file exports (AWS_ENDPOINT,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, S3_BUCKET) and curl
# (7.75 or later, for --aws-sigv4). Each run uses a fresh prefix,
# S3_PREFIX (default examples/s3-<time>-<pid>), in bucket S3_BUCKET.
# WORK_DIR (default target/s3-example, emptied first) holds the data
# directory. SHOAL=path/to/shoal uses that binary instead of building one.
set -eu
cd "$(dirname "$0")/../.."
: "${AWS_ENDPOINT:?start the test server first: bash scripts/s3-server.sh start; . \$S3_STATE/env}"
: "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
region=${AWS_REGION:-us-east-1}
bucket=${S3_BUCKET:-shoal-test}
prefix=${S3_PREFIX:-examples/s3-$(date +%s)-$$}
work=${1:-target/s3-example}

if [ -z "${SHOAL:-}" ]; then
  cargo build --release --quiet --bin shoal
  SHOAL=${CARGO_TARGET_DIR:-target}/release/shoal
fi
rm -rf "$work"
mkdir -p "$work"

# One signed S3 request: s3 METHOD KEY [FILE to upload].
s3() {
  if [ $# = 3 ]; then
    hash=$({ sha256sum "$3" 2>/dev/null || shasum -a 256 "$3"; } | cut -d' ' -f1)
    set -- "$@" -T "$3"
  else
    hash=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 # of no body
  fi
  method=$1 key=$2
  shift 2
  [ $# = 0 ] || shift
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:$region:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: $hash" \
    -X "$method" "$@" "$AWS_ENDPOINT/$bucket/$key"
}

echo "== uploading 120 text files to s3://$bucket/$prefix/input/texts/" >&2
# Twenty uploads at a time; one that failed stops the script.
uploaded() {
  for pid in $pids; do
    wait "$pid" || {
      echo "upload to $AWS_ENDPOINT failed (curl's error above): is the server up, are the AWS_* keys right?" >&2
      exit 1
    }
  done
  pids=
}
count=0 pids=
for file in examples/word-count/data/*.txt; do
  s3 PUT "$prefix/input/texts/$(basename "$file")" "$file" >/dev/null &
  pids="$pids $!" count=$((count + 1))
  [ $((count % 20)) != 0 ] || uploaded
done
uploaded

echo "== shoal run --store in=s3://$bucket/$prefix/input --store out=s3://$bucket/$prefix/output" >&2
output=$("$SHOAL" --data-dir "$work/shoal" run examples/s3/definition.json \
  --store "in=s3://$bucket/$prefix/input" --store "out=s3://$bucket/$prefix/output")
echo "$output"

# The manifest's key is relative to the `out` store's prefix.
manifest=$(echo "$output" | grep -o '"Key": *"[^"]*manifest\.json"' | sed 's/.*"\([^"]*\)"$/\1/')
echo
echo "== s3://$bucket/$prefix/output/$manifest"
s3 GET "$prefix/output/$manifest"
echo
succeeded=$(s3 GET "$prefix/output/$manifest" | sed -n 's/.*"SUCCEEDED":\[{"Key":"\([^"]*\)".*/\1/p')
echo
echo "== s3://$bucket/$prefix/output/$succeeded (Step Functions' record layout), first 2 records"
s3 GET "$prefix/output/$succeeded" | sed 's/},{"ExecutionArn"/},\n{"ExecutionArn"/g' | head -n 2
echo
echo "== sizes"
s3 GET "$prefix/output/$succeeded" | grep -o '\\"Class\\":\\"[a-z]*' | sed 's/.*"//' | sort | uniq -c
