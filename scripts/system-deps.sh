#!/usr/bin/env bash
# Debian packages the tests need beyond a fresh machine: pdftoppm (PDF pages as images),
# Chromium (the HTML report in a real browser), HarfBuzz's subsetter (WeasyPrint fonts).
# Installs only what is missing; needs root (as on the development and CI machines).
set -euo pipefail
need=()
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
ldconfig -p | grep -q 'libpango-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0 fontconfig)
if ((${#need[@]})); then
  echo "system-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
