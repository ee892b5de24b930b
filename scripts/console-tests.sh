#!/usr/bin/env bash
# The web console's tests: the JavaScript unit tests (node --test) and the
# browser tests (headless Debian Chromium driven by Selenium, against the real
# `ferry` binary). With CI=true, installs what is missing (apt-get chromium
# chromium-driver; pip selenium pytest boto3); otherwise skips LOUDLY when the
# browser or the Python modules are missing. Exits non-zero on any failure.
#
#   scripts/console-tests.sh [pytest args, e.g. -k import]
# Screenshots: <cargo target dir>/console-tests/ (or $CONSOLE_TEST_OUTPUT).
# CONSOLE_UPDATE_DOCS=1 also refreshes the pictures under docs/console/.
set -euo pipefail
cd "$(dirname "$0")/.."

loud_skip() {
  echo "################################################################" >&2
  echo "## CONSOLE BROWSER TESTS SKIPPED: $1" >&2
  echo "## Install it (or run with CI=true to install it) to run them." >&2
  echo "################################################################" >&2
}

have_browser() { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }
have_python() { python3 -c 'import selenium, pytest, boto3' 2>/dev/null; }

if [ "${CI:-}" = "true" ]; then
  if ! have_browser; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium chromium-driver
  fi
  have_python || python3 -m pip install -q selenium pytest boto3
fi

if command -v node >/dev/null; then
  node --test tests/console/js/
elif [ "${CI:-}" = "true" ]; then
  echo "node is required for the console's JavaScript unit tests" >&2
  exit 1
else
  loud_skip "node is missing (JavaScript unit tests)"
fi

if ! have_browser; then
  loud_skip "chromium and chromium-driver are missing"
  exit 0
fi
if ! have_python; then
  loud_skip "the Python modules selenium, pytest and boto3 are missing"
  exit 0
fi

cargo build -p ferry --locked
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
export FERRY_BIN="$target_dir/debug/ferry"
export CARGO_TARGET_DIR="$target_dir"
python3 -m pytest -p no:cacheprovider -q tests/console "$@"
