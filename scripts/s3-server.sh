#!/usr/bin/env bash
# shoal's S3-compatible test server on 127.0.0.1 (used by .ci/run and for local testing).
#
#   scripts/s3-server.sh start   install if missing, start, wait for HTTP, create buckets,
#                                write "$S3_STATE/env" and print its export lines on stdout
#   scripts/s3-server.sh stop    stop only the daemons that `start` launched (pid files)
#   scripts/s3-server.sh env     print the env file of the running server
#
# Environment knobs:
#   S3_SERVER   rgw  = Ceph RADOS Gateway from Debian packages (checks SigV4 like AWS; CI uses it)
#               moto = moto_server from PyPI in a venv (fast local loop; default)
#   S3_BUCKETS  space-separated bucket names to create (default "shoal-test")
#   S3_PORT     HTTP port (default 9000); rgw also uses 6789 for its monitor
#   S3_STATE    directory for venv, logs, pid files, ceph data and the env file
#               (default ${TMPDIR:-/tmp}/shoal-s3)
#
# Usage (the env file is sourced so that a failed start cannot silently export nothing):
#   S3_BUCKETS='shoal-test shoal-inventory' bash scripts/s3-server.sh start >/dev/null
#   . "${S3_STATE:-/tmp/shoal-s3}/env"
#   cargo test --workspace
#   bash scripts/s3-server.sh stop
#
# Progress goes to stderr; stdout carries only the export lines. Runs as root on a fresh Debian
# machine (apt-get / pip install what is missing) or as a user with sudo.
set -euo pipefail

SERVER=${S3_SERVER:-moto}
PORT=${S3_PORT:-9000}
BUCKETS=${S3_BUCKETS:-shoal-test}
STATE=${S3_STATE:-${TMPDIR:-/tmp}/shoal-s3}
ACCESS_KEY=${S3_ACCESS_KEY:-shoal-test-key}
SECRET_KEY=${S3_SECRET_KEY:-shoal-test-secret}
ENDPOINT="http://127.0.0.1:${PORT}"

say() { printf '[s3-server] %s\n' "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_debs() {
  say "installing Debian packages: $* (log in $STATE/apt.log)"
  if ! { as_root apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } \
    >"$STATE/apt.log" 2>&1; then
    tail -n 20 "$STATE/apt.log" >&2
    fail "apt-get install $* failed"
  fi
}

# A process is running when its /proc entry exists and it is not a zombie: killed daemons can
# linger as zombies when nothing reaps them, and `kill -0` succeeds on those.
is_running() {
  [ -r "/proc/$1/stat" ] || return 1
  local state
  state=$(sed 's/^.*) //' "/proc/$1/stat" | cut -c1)
  [ "$state" != Z ]
}

launch() { # launch NAME CMD...: start a daemon in the background and record its pid
  local name=$1
  shift
  nohup "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

await_http() { # any HTTP status on / means the server is up
  local seconds=$1 tries pidfile
  for ((tries = 0; tries < seconds * 10; tries++)); do
    if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$ENDPOINT/" || true)" != 000 ]; then
      return 0
    fi
    for pidfile in "$STATE"/*.pid; do
      [ -f "$pidfile" ] || continue
      if ! is_running "$(cat "$pidfile")"; then
        tail -n 10 "$STATE"/*.log >&2 || true
        fail "$(basename "$pidfile" .pid) exited during start-up"
      fi
    done
    sleep 0.1
  done
  fail "no HTTP answer from $ENDPOINT after ${seconds}s (logs in $STATE)"
}

start_moto() {
  local venv="$STATE/venv"
  if [ ! -x "$venv/bin/moto_server" ]; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      command -v python3 >/dev/null || install_debs python3
      install_debs python3-venv python3-pip
      rm -rf "$venv"
      python3 -m venv "$venv" >&2
    fi
    say "pip install moto[s3] flask flask-cors"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install -q 'moto[s3]>=5.1,<6' flask flask-cors >&2
  fi
  launch moto "$venv/bin/moto_server" -H 127.0.0.1 -p "$PORT"
  await_http 30
}

write_ceph_conf() { # a one-monitor, one-OSD memstore cluster without authentication
  local dir=$1 fsid=$2
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon initial members = a
mon host = v1:127.0.0.1:6789
public network = 127.0.0.0/8
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail crit = 1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
keyring = $dir/keyring
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $dir/rgw
EOF
}

start_rgw() {
  if ! command -v radosgw >/dev/null || ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null; then
    install_debs radosgw ceph-mon ceph-osd
  fi
  command -v curl >/dev/null || install_debs curl ca-certificates
  local dir="$STATE/ceph" fsid
  rm -rf "$dir"
  mkdir -p "$dir/run" "$dir/log" "$dir/mon/ceph-a" "$dir/osd/ceph-0" "$dir/rgw"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_ceph_conf "$dir" "$fsid"
  local conf=(-c "$dir/ceph.conf")
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >&2
  monmaptool --create --add a v1:127.0.0.1:6789 --fsid "$fsid" "$dir/monmap" >&2
  ceph-mon "${conf[@]}" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >&2
  launch mon ceph-mon "${conf[@]}" -f -i a
  # `osd create` blocks until the monitor answers, so it doubles as the readiness wait.
  timeout 30 ceph "${conf[@]}" osd create >&2
  ceph-osd "${conf[@]}" -i 0 --mkfs >&2 2>/dev/null
  ceph "${conf[@]}" osd crush add osd.0 1.0 host=localhost root=default >&2
  launch osd ceph-osd "${conf[@]}" -f -i 0
  launch rgw radosgw "${conf[@]}" -f -n client.rgw.a
  await_http 90
  radosgw-admin "${conf[@]}" user create --uid=shoal --display-name=shoal \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
}

make_bucket() { # object_store cannot create buckets: one SigV4-signed PUT does
  local code
  code=$(curl -s -o "$STATE/make-bucket.out" -w '%{http_code}' -X PUT "$ENDPOINT/$1" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  case $code in
    200 | 409) say "bucket $1 ready (HTTP $code)" ;;
    *) cat "$STATE/make-bucket.out" >&2; fail "creating bucket $1 answered HTTP $code" ;;
  esac
}

write_env_file() {
  cat >"$STATE/env" <<EOF
export S3_SERVER=$SERVER
export S3_STATE=$STATE
export S3_ENDPOINT=$ENDPOINT
export S3_BUCKET=${BUCKETS%% *}
export AWS_ENDPOINT=$ENDPOINT
export AWS_ALLOW_HTTP=true
export AWS_VIRTUAL_HOSTED_STYLE_REQUEST=false
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
EOF
}

stop_daemons() { # only the pids this script recorded, and only if they are still our daemons
  local name pid tries
  for name in rgw osd mon moto; do
    [ -f "$STATE/$name.pid" ] || continue
    pid=$(cat "$STATE/$name.pid")
    rm -f "$STATE/$name.pid"
    case "$(cat "/proc/$pid/comm" 2>/dev/null || true)" in
      moto_server | ceph-mon | ceph-osd | radosgw) ;;
      *) continue ;; # exited already, or the pid was reused by someone else
    esac
    # moto stops cleanly on TERM; a memstore OSD spends seconds dumping RAM on TERM and its
    # state is throw-away, so the ceph daemons get KILL.
    if [ "$name" = moto ]; then kill "$pid" 2>/dev/null || true; else kill -9 "$pid" 2>/dev/null || true; fi
    for ((tries = 0; tries < 50; tries++)); do is_running "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

case ${1:-start} in
  start)
    mkdir -p "$STATE"
    stop_daemons
    if curl -s -m 2 -o /dev/null "$ENDPOINT/"; then fail "port $PORT is already in use"; fi
    trap 'status=$?; [ $status -eq 0 ] || stop_daemons' EXIT
    started=$SECONDS
    case $SERVER in
      moto) start_moto ;;
      rgw) start_rgw ;;
      *) fail "unknown S3_SERVER=$SERVER (expected moto or rgw)" ;;
    esac
    for bucket in $BUCKETS; do make_bucket "$bucket"; done
    write_env_file
    say "$SERVER ready on $ENDPOINT after $((SECONDS - started))s; env file $STATE/env"
    cat "$STATE/env"
    ;;
  stop)
    stop_daemons
    say "stopped"
    ;;
  env) cat "$STATE/env" ;;
  *) fail "usage: $0 start|stop|env" ;;
esac
