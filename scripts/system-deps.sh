#!/usr/bin/env bash
# Debian packages the tests need beyond a fresh machine (listed in the README):
#   postgresql            initdb / pg_ctl: the tests start their own throwaway cluster
#   poppler-utils         pdftoppm: PDF pages as images
#   chromium              the HTML report and the web app in a real browser
#   libharfbuzz-subset0, libpango-1.0-0, libpangoft2-1.0-0, fontconfig   WeasyPrint
#   tesseract-ocr, tesseract-ocr-eng   OCR of images and scanned PDF pages (with the `ocr` extra)
# Installs only what is missing, and only then needs root. Changes no configuration.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || need+=(postgresql)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
ldconfig -p | grep -q 'libpango-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0 fontconfig)
command -v tesseract >/dev/null || need+=(tesseract-ocr)
ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-eng)
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "system-deps: missing Debian packages; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "system-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
