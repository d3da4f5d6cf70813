#!/usr/bin/env bash
# Installs the peers bench/run.sh compares mailtls with: openssl, testssl.sh,
# hyperfine, GNU time (/usr/bin/time, for peak RSS) and jq from Debian, and sslyze
# from PyPI into bench/.venv. Needs root (or sudo) for apt-get. Run once:
#   bash bench/install-tools.sh && bash bench/run.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi

if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq
    wanted=(openssl testssl.sh hyperfine time jq)
    available=()
    for pkg in "${wanted[@]}"; do
        if apt-cache show "$pkg" >/dev/null 2>&1; then
            available+=("$pkg")
        else
            echo "install-tools: Debian package $pkg not found; its column will say 'not installed'" >&2
        fi
    done
    if [ "${#available[@]}" -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${available[@]}"
    fi
else
    echo "install-tools: no apt-get; install openssl, testssl.sh, hyperfine and GNU time by hand" >&2
fi

# sslyze into a private virtualenv, so the system Python stays untouched.
python="$(command -v python3 || true)"
if [ -z "$python" ]; then
    echo "install-tools: no python3; sslyze's column will say 'not installed'" >&2
    exit 0
fi
if [ ! -x "$here/.venv/bin/python" ]; then
    "$python" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --upgrade pip
"$here/.venv/bin/python" -m pip install --quiet sslyze
"$here/.venv/bin/sslyze" --help >/dev/null
echo "install-tools: done (sslyze in $here/.venv/bin/sslyze)"
