#!/usr/bin/env bash
# ufork run on a non-ELF file (a text file, an empty file, a "#!" script):
# non-zero exit below 128, one-line error containing "ELF".
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
printf 'this is just text, not a program\n' >"$SCRATCH/text.txt"
: >"$SCRATCH/empty"
printf '#!/bin/sh\necho hi\n' >"$SCRATCH/script.sh"
chmod +x "$SCRATCH/text.txt" "$SCRATCH/empty" "$SCRATCH/script.sh"
for f in text.txt empty script.sh; do
    expect_clean_error "$f" run "$SCRATCH/$f"
    expect_err_contains "$f" 'ELF'
    echo "ok: $f: $err"
done
