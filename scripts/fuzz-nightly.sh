#!/usr/bin/env bash
# The fuzzers of packages/accelerator/test/fuzz/ with many more runs than the test command gives them:
# several seeds, each with FUZZ_RUNS times the default run count and longer command sequences.
#   scripts/fuzz-nightly.sh                 3 seeds (a fresh random one and two fixed), FUZZ_RUNS=20
#   FUZZ_SEEDS="1 2 3" FUZZ_RUNS=50 scripts/fuzz-nightly.sh
#   FUZZ_FILES=checkpointer scripts/fuzz-nightly.sh   only one of the two fuzz files
# Needs the build (npx -y pnpm@12.4.2 build) and a PostgreSQL server (scripts/test-postgres.sh start, or
# FLG_TEST_PG_URL). A failure prints the seed, fast-check's shrunk command list and the trace of the failing
# run; replay it with FUZZ_SEED=<seed> FUZZ_RUNS=<same> npx jest test/fuzz/<file>. Each run's output is kept
# in ${FUZZ_LOG_DIR:-/tmp/fuzz-nightly}. Exits non-zero if any seed failed.
set -uo pipefail
cd "$(dirname "$0")/../packages/accelerator"

SEEDS="${FUZZ_SEEDS:-$((RANDOM * 32768 + RANDOM)) 20261101 424242}"
export FUZZ_RUNS="${FUZZ_RUNS:-20}"
export FUZZ_MAX_COMMANDS="${FUZZ_MAX_COMMANDS:-60}"
FILES="${FUZZ_FILES:-checkpointer graphs}"
LOG_DIR="${FUZZ_LOG_DIR:-/tmp/fuzz-nightly}"
mkdir -p "$LOG_DIR"

status=0
for seed in $SEEDS; do
  for file in $FILES; do
    log="$LOG_DIR/$file-seed-$seed.log"
    echo "fuzz: test/fuzz/$file.model.test.ts seed $seed, FUZZ_RUNS=$FUZZ_RUNS, up to $FUZZ_MAX_COMMANDS commands -> $log"
    if FUZZ_SEED="$seed" npx jest --testTimeout=3600000 "test/fuzz/$file.model.test.ts" >"$log" 2>&1; then
      grep -h "\[fuzz\].*equal" "$log" | sed 's/^ */  /'
    else
      status=1
      echo "  FAILED (seed $seed): counterexamples in $log"
      grep -h -A3 "Cause:" "$log" | sed 's/^ */  /' | head -40
    fi
  done
done
exit "$status"
