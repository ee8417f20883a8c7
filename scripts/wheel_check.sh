#!/usr/bin/env bash
# Keysmith as a real package: build the wheel, install it into a fresh venv outside the checkout, and run
# `keysmith index`, `keysmith ask --json` and the app's health check from another directory (no checkout
# folders reachable). Used by .ci/run; `make wheel-check` runs it by hand.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
app_pid=""
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$repo/.venv/bin/python" -m pip wheel --quiet --no-deps -w "$work/dist" "$repo"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/keysmith-*.whl
mkdir "$work/elsewhere"
cd "$work/elsewhere"
export KEYSMITH_DATA_DIR="$work/data" KEYSMITH_MODEL=offline
unset KEYSMITH_KNOWLEDGE_DIR
"$work/venv/bin/keysmith" index
"$work/venv/bin/keysmith" ask "Our pilot worked but nobody owns the model now that we roll it out. Why?" --json \
  > "$work/ask.json"
"$work/venv/bin/python" - "$work/ask.json" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["mode"] == "offline" and answer["answer"].strip(), answer
assert answer["citations"], "an installed wheel must cite its shipped knowledge pages"
print("wheel check: ask --json answered with", len(answer["citations"]), "citations")
PY
port="$("$work/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$work/venv/bin/keysmith" app --port "$port" > "$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 60); do
  if "$work/venv/bin/python" -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$port/_stcore/health', timeout=2).read().strip()==b'ok' else 1)" 2>/dev/null; then
    echo "wheel check: the installed app answers its health check on port $port"
    exit 0
  fi
  sleep 1
done
cat "$work/app.log"
echo "wheel check: the installed app did not answer its health check within 60 s" >&2
exit 1
