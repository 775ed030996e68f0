#!/bin/sh
# One child's task in the crash-and-resume demonstration: records that it
# was invoked (item and idempotency key, one line appended to $LEDGER),
# works for a moment, and prints {"n": N, "square": N*N}.
set -eu
n=$1
# A line this short is appended atomically, even by concurrent children.
echo "$n $SHOAL_IDEMPOTENCY_KEY" >>"$LEDGER"
sleep 0.1
echo "{\"n\": $n, \"square\": $((n * n))}"
