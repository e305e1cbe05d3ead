#!/usr/bin/env bash
# scripts/test.sh: the one command that sets up a fresh Debian 12 machine and
# runs every test (differential suite, CLI tests, unit tests under ASan/UBSan).
# Ends with the runner's line "N passed, N failed".
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sh scripts/deps.sh
make -s
make -s dash
make -s redis
exec bash tests/run.sh "$@"
