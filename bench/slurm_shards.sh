#!/usr/bin/env bash
# Wall time of `meshagents phewas` against the number of Slurm shards, on the single-node
# Slurm of ci/slurm-up.sh, next to the local run; checks every sharded table equals the local
# one byte for byte. Prints a Markdown table (BENCHMARKS.md, "PheWAS on Slurm").
#
#   bash ci/slurm-up.sh                    # once, as root
#   bash bench/slurm_shards.sh [N] [WORK]  # N participants (default 40000)
set -euo pipefail
n=${1:-40000}
work=${2:-/var/tmp/meshagents-slurm-bench}
bin=${MESHAGENTS:-${CARGO_TARGET_DIR:-target}/release/meshagents}
bin=$(readlink -f "$bin")
mkdir -p "$work"
cd "$work"
[ -f cohort/cohort.parquet ] || "$bin" simulate --n "$n" --seed 1 --out cohort >/dev/null
common=(phewas --data cohort/cohort.parquet --dictionary cohort/dictionary.csv
    --phenotypes imaging --factors factor --covariates age,sex,height,weight)

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

echo "| run | tasks x CPUs | wall time | slowest task (load + fit) | all tasks, summed | merge + correction | table |"
echo "|---|---|---|---|---|---|---|"
t0=$(now)
"$bin" "${common[@]}" --threads 2 --out local.csv 2>local.err >/dev/null
t1=$(now)
rows=$(($(wc -l <local.csv) - 1))
printf '| local, 2 threads | - | %.1f s | - | - | - | %d rows |\n' "$(elapsed "$t0" "$t1")" "$rows"

run_slurm() {
    local shards=$1 cpus=$2
    local out="slurm-$shards-$cpus.csv"
    rm -rf "$out" "$out.slurm"
    t0=$(now)
    "$bin" "${common[@]}" --executor slurm --shards "$shards" --slurm-cpus-per-task "$cpus" \
        --poll-seconds 0.2 --out "$out" 2>"$out.err" >/dev/null
    t1=$(now)
    local same=identical
    cmp -s local.csv "$out" || same=DIFFERENT
    # Each task's log: "loaded ... (L s)" and "shard i/N: ... in F s".
    local slowest
    slowest=$(for log in "$out".slurm/logs/*.log; do
        load=$(sed -n 's/^loaded .*(\([0-9.]*\) s)$/\1/p' "$log")
        fit=$(sed -n 's/^shard .* in \([0-9.]*\) s (raw p.*/\1/p' "$log")
        echo "$(echo "$load + $fit" | bc) $load"
    done | sort -n)
    local total
    total=$(echo "$slowest" | awk '{ s += $1 } END { printf "%.1f", s }')
    slowest=$(echo "$slowest" | tail -n 1)
    local merge
    merge=$(sed -n 's/.*merged [0-9]* parts in \([0-9.]*\) s.*/\1/p' "$out.err")
    printf '| slurm, %d shards | %d x %d | %.1f s | %s s (load %s s) | %s s | %s s | %s |\n' \
        "$shards" "$shards" "$cpus" "$(elapsed "$t0" "$t1")" \
        "${slowest% *}" "${slowest#* }" "$total" "$merge" "$same"
}
run_slurm 1 2
for shards in 1 2 4 8; do
    run_slurm "$shards" 1
done
