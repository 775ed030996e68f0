#!/bin/sh
# Runs the csv-report example from the repository root and shows what the
# ResultWriter wrote: the manifest, the first priced lines, every failed
# row with its cause, and the net revenue per country.
#
#   sh examples/csv-report/run.sh [WORK_DIR]
#
# WORK_DIR (default target/csv-report, emptied first) receives the data
# directory (WORK_DIR/shoal) and the `reports` store (WORK_DIR/reports).
# SHOAL=path/to/shoal uses that binary instead of building one.
set -eu
cd "$(dirname "$0")/../.."
work=${1:-target/csv-report}

if [ -z "${SHOAL:-}" ]; then
  cargo build --release --quiet --bin shoal
  SHOAL=${CARGO_TARGET_DIR:-target}/release/shoal
fi
rm -rf "$work"
mkdir -p "$work/reports"

echo "== shoal run: 800 order lines, one EXPRESS child each" >&2
output=$("$SHOAL" --data-dir "$work/shoal" run examples/csv-report/definition.json \
  --store orders=file://examples/csv-report/data \
  --store "reports=file://$work/reports")
echo "$output"

# The Map's output names the manifest; the result files sit beside it.
manifest=$(echo "$output" | grep -o '"Key": *"[^"]*manifest\.json"' | sed 's/.*"\([^"]*\)"$/\1/')
run_dir=$work/reports/$(dirname "$manifest")
echo
echo "== $manifest"
cat "$work/reports/$manifest"
echo
echo
echo "== SUCCEEDED_0.json (COMPACT, JSONL: each child's output), first 3 of $(wc -l <"$run_dir/SUCCEEDED_0.json")"
head -n 3 "$run_dir/SUCCEEDED_0.json"
echo
echo "== FAILED_0.json: $(wc -l <"$run_dir/FAILED_0.json") rows tolerated (ToleratedFailurePercentage 5)"
sed -n 's/.*"Error":"\([^"]*\)".*stderr: \([^"]*\)",.*/  \1: \2/p' "$run_dir/FAILED_0.json"
echo
echo "== net revenue per country, EUR"
awk -F'"' '{
  for (i = 1; i < NF; i++) if ($i == "country") country = $(i + 2)
  match($0, /"net_eur":[0-9.]+/)
  total[country] += substr($0, RSTART + 10, RLENGTH - 10)
} END { for (c in total) printf "  %s %12.2f\n", c, total[c] }' "$run_dir/SUCCEEDED_0.json" | sort
