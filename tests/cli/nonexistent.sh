#!/usr/bin/env bash
# ufork run on a path that does not exist (and on a directory): non-zero exit
# below 128, one-line error on stderr naming the path.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
missing=/nonexistent/ufork-no-such-program
expect_clean_error "missing file" run "$missing"
case $err in
    *"$missing"*) ;;
    *) show run "$missing"; fail "missing file: error should mention the path $missing" ;;
esac
echo "ok: missing file: $err"

mkdir -p "$SCRATCH/a-directory"
expect_clean_error "directory" run "$SCRATCH/a-directory"
case $err in
    *a-directory*) ;;
    *) show run "$SCRATCH/a-directory"; fail "directory: error should mention the path" ;;
esac
echo "ok: directory: $err"
