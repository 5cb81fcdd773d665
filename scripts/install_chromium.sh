#!/bin/sh
# Install Debian's chromium (used by tests/test_report.py to check the HTML report in a real
# browser through playwright). Idempotent; never fails the caller: without root or apt-get it
# only explains what to do, and the browser test is then skipped with a clear message.
set -u
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: apt-get not found; install a Chromium at /usr/bin/chromium to run the report browser test" >&2
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_chromium: not root; run 'sudo apt-get install -y chromium' to enable the report browser test" >&2
        exit 0
    fi
else
    SUDO=""
fi
echo "install_chromium: installing Debian's chromium (once) for the report browser test" >&2
$SUDO apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
    || echo "install_chromium: apt-get install chromium failed; the report browser test will be skipped" >&2
exit 0
