"""llama.cpp's HTTP server (from the xllamacpp wheel) on loopback, for the real-model tests.

Usage: python ci/llama_server.py --model FILE.gguf --port 18181 [--ctx 8192] [--threads 2]

The wheel ships llama.cpp's own server as a library; this starts it and keeps the process
alive until SIGTERM or SIGINT, so that it can be run in the background by ci/llm-up.sh or as
a `[panel.server] command`.
"""

import argparse
import signal
import sys
import threading

import xllamacpp as xlc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="path of the GGUF file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ctx", type=int, default=8192, help="context window in tokens")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=1, help="requests served at once")
    args = parser.parse_args()

    params = xlc.CommonParams()
    params.model.path = args.model
    # Each slot gets ctx / parallel tokens: give every slot the whole window.
    params.n_ctx = args.ctx * args.parallel
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    # Chat templates, tool calls and response_format are served through the Jinja path.
    params.use_jinja = True
    server = xlc.Server(params)
    print(f"listening on {server.listening_address}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
