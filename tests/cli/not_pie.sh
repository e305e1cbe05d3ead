#!/usr/bin/env bash
# ufork run on a static but non-PIE executable: non-zero exit below 128,
# one-line error mentioning "PIE" (e.g. "not a static-PIE executable").
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
write_hello "$SCRATCH/hello.c"
progs=()
if gcc -static -no-pie -O2 -o "$SCRATCH/hello-glibc-static" "$SCRATCH/hello.c" 2>"$SCRATCH/cc.log"; then
    progs+=("$SCRATCH/hello-glibc-static")
else
    fail "gcc -static -no-pie failed: $(head -n 3 "$SCRATCH/cc.log") (libc6-dev missing? run scripts/deps.sh)"
fi
if command -v musl-gcc >/dev/null 2>&1 &&
    musl-gcc -static -no-pie -O2 -o "$SCRATCH/hello-musl-static" "$SCRATCH/hello.c" 2>/dev/null; then
    progs+=("$SCRATCH/hello-musl-static")
fi
for p in "${progs[@]}"; do
    expect_clean_error "$(basename "$p")" run "$p"
    if ! grep -q 'PIE' "$SCRATCH/err"; then
        show run "$p"
        fail "$(basename "$p"): error should mention PIE / static-PIE"
    fi
    echo "ok: $(basename "$p"): $err"
done
