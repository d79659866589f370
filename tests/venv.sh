#!/usr/bin/env bash
# The Python venv the third-party clients run from: target/boto3-venv with
# boto3 (tests/boto3/run.sh) and moto's standalone server, moto[server]
# (tests/drive/run.sh), from PyPI. Installs what is missing, once; a no-op
# when both are there. scripts/test.sh starts it beside the first build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/boto3-venv"
if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$root/target"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 lacks venv until python3-venv is installed.
    rm -rf "$venv"
    apt-get install -y -q python3-venv >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q python3-venv >/dev/null; }
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/python" -c 'import boto3' 2>/dev/null || "$venv/bin/pip" install -q boto3
[[ -x "$venv/bin/moto_server" ]] || "$venv/bin/pip" install -q 'moto[server]'
