#!/usr/bin/env bash
# Chromium for the browser test: tests/test_charts_report.py renders the HTML report in headless
# Chromium, and fails (it never skips) when no `chromium` is on PATH. This installs it when it is
# missing: with apt-get (Debian, Ubuntu; as root, or through sudo). Elsewhere it says what to do.
# Run by the README's test command and by .ci/run; running it again does nothing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "installing chromium with apt-get (for the browser test of the HTML report)" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    command -v chromium >/dev/null 2>&1 && exit 0
fi
echo "error: no 'chromium' on PATH; install Chromium so that a 'chromium' command exists" \
     "(Debian/Ubuntu: apt-get install chromium), then run the tests again" >&2
exit 1
