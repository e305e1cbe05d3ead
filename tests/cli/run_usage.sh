#!/usr/bin/env bash
# `ufork run` without a program, an unknown option, and options with bad
# values: non-zero exit below 128 (not a crash, not a hang) and a message on
# stderr.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
for args in "run" "--no-such-option" "run --keep-slots=lots /bin/true" \
    "run --keep-slots=100G /bin/true" "run --max-procs=0 /bin/true" "run --slot-size=1K /bin/true" \
    "run --spin-us=-1 /bin/true" "run --spin-us=1s /bin/true"; do
    # shellcheck disable=SC2086
    run_ufork $args
    if [ "$status" = 124 ]; then show $args; fail "ufork $args: timed out"; fi
    if [ "$status" = 0 ] || [ "$status" -ge 128 ]; then show $args; fail "ufork $args: expected a status in 1..127"; fi
    [ -n "${err//[[:space:]]/}" ] || { show $args; fail "ufork $args: expected a message on stderr"; }
    echo "ok: ufork $args: status $status"
done
