#!/usr/bin/env bash
# Fuzzes shoal's decoders and parsers with cargo-fuzz (libFuzzer) on the
# stable toolchain (RUSTC_BOOTSTRAP=1 unlocks the instrumentation flags).
#
#   bash scripts/fuzz.sh --ci                 # CI: every target, a fixed number of runs
#   bash scripts/fuzz.sh SECONDS [TARGET...]  # long runs: SECONDS per target, one at a time
#
# Both modes build every target once (release, debug assertions and overflow
# checks on, no sanitizer: the code under test has no unsafe code, and ASan
# would double the build and slow every run), then run one target at a time
# in one process (the machine's cores are shared).
#
# --ci starts each target from its committed seeds (fuzz/seeds/<target>) and
# crash inputs (fuzz/regressions/<target>) in a scratch corpus, with a fixed
# random seed and a fixed number of runs (100,000, or 10,000 for the slower
# reader targets; FUZZ_CI_RUNS overrides both), so a CI run is
# reproducible and bounded. Long runs keep their corpus in fuzz/corpus/<target>
# (gitignored) and print libFuzzer's final statistics; a crash input lands in
# fuzz/artifacts/<target>/ and the script exits non-zero. Commit a crash input
# to fuzz/regressions/<target>/ with its fix: `cargo test` then replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(record_decode asl_parse reader_json reader_jsonl reader_csv reader_inventory intrinsic_eval json_path)
BUILD_FLAGS=(--release --debug-assertions --sanitizer none)
# Per-input limits: a slow or memory-hungry input is a finding, like a crash.
LIMITS=(-timeout=10 -rss_limit_mb=2048 -max_len=4096)

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

mode=${1:-}
[ -n "$mode" ] || usage
shift
if [ "$mode" != --ci ]; then
  [[ "$mode" =~ ^[0-9]+$ ]] || usage
  if [ $# -gt 0 ]; then TARGETS=("$@"); fi
fi

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

started=$(date +%s)
cargo fuzz build "${BUILD_FLAGS[@]}"
echo "fuzz build: $(( $(date +%s) - started )) s" >&2

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

run_target() {
  local target=$1 corpus=$2
  shift 2
  mkdir -p "$corpus" "fuzz/regressions/$target"
  local t0
  t0=$(date +%s)
  cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "$corpus" "fuzz/seeds/$target" "fuzz/regressions/$target" \
    -- "${LIMITS[@]}" -print_final_stats=1 "$@" 2>"$scratch/$target.log" || {
    tail -n 60 "$scratch/$target.log" >&2
    echo "fuzz target $target FAILED (input in fuzz/artifacts/$target/)" >&2
    return 1
  }
  local execs cov
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$scratch/$target.log" | grep -Eo '[0-9]+$' || echo '?')
  cov=$(grep -Eo 'cov: [0-9]+' "$scratch/$target.log" | tail -n 1 | grep -Eo '[0-9]+' || echo '?')
  printf '%-18s %10s execs  cov %6s  %5s s\n' "$target" "$execs" "$cov" "$(( $(date +%s) - t0 ))"
}

status=0
if [ "$mode" = --ci ]; then
  for target in "${TARGETS[@]}"; do
    # The reader targets read each input twice through tokio and an object
    # store (1,000-3,000 runs/s here); the others run 10,000-40,000/s.
    case $target in
      reader_*) runs=${FUZZ_CI_RUNS:-10000} ;;
      *) runs=${FUZZ_CI_RUNS:-100000} ;;
    esac
    run_target "$target" "$scratch/corpus/$target" -seed=1 -runs="$runs" || status=1
  done
else
  for target in "${TARGETS[@]}"; do
    run_target "$target" "fuzz/corpus/$target" -max_total_time="$mode" || status=1
  done
fi
echo "fuzz total: $(( $(date +%s) - started )) s" >&2
exit $status
