#!/usr/bin/env bash
# ufork --version: exit 0 and print a non-empty version line on stdout.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
run_ufork --version
[ "$status" = 0 ] || { show --version; fail "--version: expected exit status 0"; }
[ -n "${out//[[:space:]]/}" ] || { show --version; fail "--version: expected a version on stdout"; }
echo "ok: --version: $(head -n 1 "$SCRATCH/out")"
