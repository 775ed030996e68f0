#!/bin/sh
# Counts the words of one bundled text file. Called by shoal's `shoal:command`
# resource with the object key as its only argument; prints the result JSON.
set -eu
file="$(dirname "$0")/data/$1"
words=$(wc -w < "$file")
lines=$(wc -l < "$file")
# A little latency, as a real task would have, so the progress display moves.
sleep 0.05
printf '{"Key": "%s", "Words": %d, "Lines": %d}\n' "$1" "$words" "$lines"
