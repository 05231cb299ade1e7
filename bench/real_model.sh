#!/usr/bin/env bash
# A study against a real small model (BENCHMARKS.md): llama.cpp's server with
# SmolLM2-135M-Instruct as ci/llm-up.sh starts it, on this machine's CPU.
#   bash bench/real_model.sh [json_schema|prompt] [URL]
# The same study as tests/real_model.rs (1,500 participants, 3 seed candidates, 4 phenotypes,
# 2 diseases, one round): both fill in tests/real_model_study.toml. Reports, per stage, the
# model requests, the prompt and completion tokens the server counted, the largest prompt,
# and the seconds the stage took.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
MODE="${1:-json_schema}"
URL="${2:-http://127.0.0.1:18181/v1}"
TOOLS=true
[ "$MODE" = prompt ] && TOOLS=false
BIN="${CARGO_TARGET_DIR:-target}/release/meshagents"
cargo build --release --quiet
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" simulate --n 1500 --seed 3 --format csv --out cohort >/dev/null
python3 - <<'PY'
lines = open("cohort/dictionary.csv").read().splitlines()
keep = {"hypertension", "diabetes"}
out = [l[: -len(",disease")] + ",factor" if l.endswith(",disease") and l.split(",")[0] not in keep else l for l in lines]
open("cohort/dictionary.csv", "w").write("\n".join(out) + "\n")
PY
sed -e "s|@URL@|$URL|" -e "s|@MODE@|$MODE|" -e "s|@TOOLS@|$TOOLS|" \
  "$ROOT/tests/real_model_study.toml" > STUDY.toml
status=0
"$BIN" study run STUDY.toml --out out --headless >/dev/null 2>&1 || status=$?
python3 - "$MODE" "$status" <<'PY'
import json, sys
mode, status = sys.argv[1], sys.argv[2]
events = [json.loads(l) for l in open("out/journal.events.jsonl")]
start = {e["step"]: e["at_ms"] for e in events if e["kind"] == "step_started"}
end = {e["step"]: e["at_ms"] for e in events if e["kind"] in ("step_completed", "step_failed")}
try:
    usage = json.load(open("out/decisions.json"))["usage"]
except FileNotFoundError:
    usage = {}
print(f"mode {mode}, study exit status {status}")
print(f"{'stage':<12} {'requests':>8} {'prompt tok':>10} {'compl tok':>9} {'max prompt':>10} {'seconds':>8}")
for stage in ("confounders", "phenotypes"):
    sizes = [s for k, l in usage.items() if k.startswith(stage + "/") for s in l["sizes"]]
    seconds = (end.get(f"panel/{stage}", 0) - start.get(f"panel/{stage}", 0)) / 1000
    print(f"{stage:<12} {len(sizes):>8} {sum(s['prompt_tokens'] for s in sizes):>10} "
          f"{sum(s['completion_tokens'] for s in sizes):>9} "
          f"{max((s['prompt_tokens'] for s in sizes), default=0):>10} {seconds:>8.1f}")
PY
