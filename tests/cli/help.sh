#!/usr/bin/env bash
# ufork --help: exit 0, usage on stdout mentioning "ufork run".
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
run_ufork --help
[ "$status" = 0 ] || { show --help; fail "--help: expected exit status 0"; }
case $out in
    *"ufork run"*) ;;
    *) show --help; fail "--help: stdout should contain the usage 'ufork run ...'" ;;
esac
echo "ok: --help"
