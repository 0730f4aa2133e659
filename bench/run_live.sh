#!/bin/sh
# Run the live vote benchmark on SQLite (in-memory channel layer) and on PostgreSQL + Redis.
# The script migrates the bench databases, seeds meetings and sessions, starts and stops daphne
# on port 8370 for every run, and writes var/bench/live-<db>.json. Takes ~20 minutes on 2 cores.
#   sh bench/run_live.sh                 # N = 100 500 1000, 2 repetitions
#   N="1000" REPS=3 sh bench/run_live.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-"100 500 1000"}
REPS=${REPS:-2}
# shellcheck disable=SC2086
.venv/bin/python bench/live_vote.py --db sqlite --n $N --reps "$REPS" --out var/bench/live-sqlite.json
# shellcheck disable=SC2086
.venv/bin/python bench/live_vote.py --db postgres --n $N --reps "$REPS" --out var/bench/live-postgres.json
