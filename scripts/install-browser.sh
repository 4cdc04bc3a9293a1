#!/usr/bin/env bash
# Installs Debian's Chromium and Noto fonts (Arabic glyphs) for the browser UI test.
# Best effort: without root or apt the browser test skips and says why.
set -u
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto.*Arabic"; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: not root or no apt-get; the browser test will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "install-browser: apt-get update failed" >&2
apt-get install -y -qq --no-install-recommends chromium fonts-noto-core fontconfig >/dev/null 2>&1 \
  || echo "install-browser: could not install chromium; the browser test will be skipped" >&2
exit 0
