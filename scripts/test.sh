#!/usr/bin/env bash
# Every test: the Rust workspace (unit, property, SDK-driven, CLI) with
# cargo-nextest, then the web console's JavaScript unit tests and headless
# Chromium tests (scripts/console-tests.sh). The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo nextest run --workspace --locked
bash scripts/console-tests.sh
