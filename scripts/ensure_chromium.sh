#!/bin/sh
# Headless Chromium prints the report's PDF, and the tests open the report in it; the
# browser front end's tests drive it through chromedriver (selenium).
# Found (the names planner/printing.py looks for, and chromedriver): nothing to do. Root
# with apt-get: install Debian's packages. Otherwise: stop with one line naming the command.
set -eu

missing=""
browser=""
if [ -n "${YINGJI_CHROMIUM:-}" ] && [ -x "${YINGJI_CHROMIUM}" ]; then
    browser=found
fi
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        browser=found
    fi
done
[ -n "$browser" ] || missing="chromium"
if ! command -v chromedriver >/dev/null 2>&1 && [ ! -x /usr/bin/chromedriver ]; then
    missing="$missing chromium-driver"
fi
[ -n "$missing" ] || exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing# } (Debian's packages) for the PDF report and the tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086  # the package names are meant to split
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    exit 0
fi

echo "chromium or chromedriver not found: the PDF report and the tests need them; install them with: sudo apt-get install chromium chromium-driver" >&2
exit 1
