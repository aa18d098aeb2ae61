#!/bin/sh
# Headless Chromium prints the report's PDF, and the tests open the report in it.
# Found (the names planner/printing.py looks for): nothing to do. Root with apt-get:
# install Debian's package. Otherwise: stop with one line naming the command to run.
set -eu

if [ -n "${YINGJI_CHROMIUM:-}" ] && [ -x "${YINGJI_CHROMIUM}" ]; then
    exit 0
fi
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (Debian's package) for the PDF report and its tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
    exit 0
fi

echo "chromium not found: the PDF report and the tests need it; install it with: sudo apt-get install chromium" >&2
exit 1
