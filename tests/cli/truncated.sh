#!/usr/bin/env bash
# ufork run on truncated static-PIE files: non-zero exit below 128 (no crash,
# no SIGBUS from touching a mapping beyond end of file), one-line error.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
build_static_pie "$SCRATCH/full"
size=$(wc -c <"$SCRATCH/full")
# 4: magic only; 63: short ELF header; 64: header but no program headers;
# 100: first 100 bytes; half: program headers present, segments cut off
for n in 4 63 64 100 $((size / 2)); do
    head -c "$n" "$SCRATCH/full" >"$SCRATCH/trunc-$n"
    chmod +x "$SCRATCH/trunc-$n"
    expect_clean_error "truncated to $n of $size bytes" run "$SCRATCH/trunc-$n"
    echo "ok: $n bytes: $err"
done
