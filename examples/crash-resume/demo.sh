#!/bin/sh
# Crash-and-resume demonstration: runs a Distributed Map job once without
# interruption, then again with `kill -9` a third of the way through,
# resumes it with `shoal resume`, and checks that the resumed job's output
# equals the uninterrupted one's, that no item was lost and that no item's
# child was started twice.
#
#   sh examples/crash-resume/demo.sh [WORK_DIR]
#
# Run from anywhere; it changes to the repository root. WORK_DIR (default
# target/crash-resume, emptied first) receives the items, both data
# directories and the ledgers. SHOAL=path/to/shoal uses that binary instead
# of building one; ITEMS=N changes the item count (default 240).
# Exit 0 when every check passes.
set -eu
cd "$(dirname "$0")/../.."
work=${1:-target/crash-resume}
items=${ITEMS:-240}
definition=examples/crash-resume/definition.json

if [ -z "${SHOAL:-}" ]; then
  cargo build --release --quiet --bin shoal
  SHOAL=${CARGO_TARGET_DIR:-target}/release/shoal
fi
rm -rf "$work"
mkdir -p "$work/input"
work=$(cd "$work" && pwd)
i=0
while [ "$i" -lt "$items" ]; do
  echo "{\"n\": $i}"
  i=$((i + 1))
done >"$work/input/items.jsonl"
store="items=file://$work/input"

say() { printf '\n== %s\n' "$*" >&2; }
fail() { echo "FAILED: $*" >&2; exit 1; }
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# shoal with a data directory and the ledger its children append to.
shoal_in() { dir=$1; shift; LEDGER=$work/$dir.ledger "$SHOAL" --data-dir "$work/$dir" "$@"; }

say "1. uninterrupted: shoal run over $items items (data directory $work/clean)"
shoal_in clean run "$definition" --name demo --store "$store" >"$work/clean.json"
echo "$(lines "$work/clean.ledger") task invocations" >&2

say "2. the same job, killed with SIGKILL a third of the way through"
# Not through shoal_in: $! must be shoal's own pid, not a subshell's.
LEDGER=$work/crashed.ledger "$SHOAL" --data-dir "$work/crashed" run "$definition" --name demo \
  --store "$store" >/dev/null 2>"$work/killed.err" &
pid=$!
while [ "$(lines "$work/crashed.ledger")" -lt $((items / 3)) ]; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/killed.err" >&2; fail "shoal run ended before the kill"; }
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
echo "killed shoal (pid $pid) after $(lines "$work/crashed.ledger") task invocations" >&2
shoal_in crashed describe demo >&2
arn=$(shoal_in crashed describe demo --json | grep -o '"shoal:mapRun:[^"]*"' | head -n 1 | tr -d '"')
[ -n "$arn" ] || fail "the killed execution has no map run yet"
shoal_in crashed map-run "$arn" >&2

say "3. shoal resume"
shoal_in crashed resume --store "$store" >&2

say "4. checks"
# `run` with the name of a finished execution starts nothing: it prints
# that execution's output, in the same format as the uninterrupted run.
shoal_in crashed run "$definition" --name demo --store "$store" >"$work/resumed.json" 2>/dev/null
cmp -s "$work/clean.json" "$work/resumed.json" || fail "outputs differ: diff $work/clean.json $work/resumed.json"
echo "output: identical to the uninterrupted run's ($items results in item order)" >&2

counts=$(shoal_in crashed map-run "$arn" --json | tr -d ' \n')
total=$(echo "$counts" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
succeeded=$(echo "$counts" | sed -n 's/.*"succeeded":\([0-9]*\).*/\1/p')
[ "$total" = "$items" ] && [ "$succeeded" = "$items" ] ||
  fail "map run counted $total children, $succeeded succeeded; expected $items"
echo "map run: $total children started, $succeeded succeeded (one child per item)" >&2

ledger=$work/crashed.ledger
invoked=$(cut -d' ' -f1 "$ledger" | sort -un | wc -l | tr -d ' ')
lost=$((items - invoked))
# A child started twice would run its task under a second idempotency key.
twice=$(sort -u "$ledger" | cut -d' ' -f1 | uniq -d | wc -l | tr -d ' ')
again=$(cut -d' ' -f1 "$ledger" | sort -n | uniq -d | wc -l | tr -d ' ')
[ "$lost" = 0 ] || fail "$lost items never reached their task"
[ "$twice" = 0 ] || fail "$twice items ran under two idempotency keys"
[ "$again" -le 8 ] || fail "$again task attempts re-invoked; at most MaxConcurrency (8) can be in flight"
echo "ledger: $(lines "$ledger") invocations of $items items; $again attempt(s) in flight at the kill ran again with the same idempotency key (tasks are at-least-once)" >&2
echo "OK: $items items, lost 0, started twice 0, output identical"
