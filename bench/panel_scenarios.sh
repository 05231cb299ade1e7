#!/usr/bin/env bash
# The confounder panel's time and calls on each simulated causal structure (BENCHMARKS.md):
#   bash bench/panel_scenarios.sh [N] [SEED]
# Simulates each scenario, runs a whole study with the embedded panel, and reports the
# `panel/confounders` step's time (from the study's event log), the model and tool calls of
# stage A (from transcript.json) and the confounders chosen.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
SEED="${2:-1}"
BIN="${CARGO_TARGET_DIR:-target}/release/meshagents"
cargo build --release --quiet
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
printf "%-18s %10s %12s %11s %s\n" scenario "stage A s" "model calls" "tool calls" confounders
for scenario in baseline factor-confounder mediator; do
    "$BIN" simulate --scenario "$scenario" --n "$N" --seed "$SEED" --out "$WORK/$scenario/cohort" >/dev/null
    cat > "$WORK/$scenario/STUDY.toml" <<TOML
name = "$scenario"
data = "cohort/cohort.parquet"
dictionary = "cohort/dictionary.csv"
phenotypes = "imaging"
factors = "factor"
candidates = "covariate"
TOML
    "$BIN" study run "$WORK/$scenario/STUDY.toml" --out "$WORK/$scenario/study" --headless >/dev/null
    python3 - "$WORK/$scenario/study" "$scenario" <<'PY'
import json, sys
study, scenario = sys.argv[1], sys.argv[2]
events = [json.loads(l) for l in open(f"{study}/journal.events.jsonl")]
started = next(e["at_ms"] for e in events if e["step"] == "panel/confounders" and e["kind"] == "step_started")
done = next(e["at_ms"] for e in events if e["step"] == "panel/confounders" and e["kind"] == "step_completed")
transcript = json.load(open(f"{study}/transcript.json"))
stage_a = [e for e in transcript if e["stage"] == "confounders"]
tools = sum(1 for e in stage_a if e["kind"] == "tool_call") + sum(1 for e in stage_a if e["kind"] == "merge")
decisions = json.load(open(f"{study}/decisions.json"))
calls = sum(v["calls"] for k, v in decisions["usage"].items() if k.startswith("confounders/"))
print(f"{scenario:<18} {(done - started) / 1000:10.1f} {calls:12d} {tools:11d} {', '.join(decisions['confounders'])}")
PY
done
