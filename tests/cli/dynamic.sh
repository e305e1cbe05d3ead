#!/usr/bin/env bash
# ufork run on dynamically linked executables: non-zero exit below 128,
# one-line error containing "dynamic".
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
write_hello "$SCRATCH/hello.c"
progs=()
if gcc -O2 -o "$SCRATCH/hello-glibc" "$SCRATCH/hello.c" 2>"$SCRATCH/cc.log"; then
    progs+=("$SCRATCH/hello-glibc")
else
    fail "gcc could not build a glibc program: $(head -n 3 "$SCRATCH/cc.log") (run scripts/deps.sh)"
fi
[ -x /bin/true ] && progs+=(/bin/true)
# Debian's `musl-gcc -static-pie` silently yields a dynamically linked PIE
if command -v musl-gcc >/dev/null 2>&1 &&
    musl-gcc -static-pie -O2 -o "$SCRATCH/hello-musl-dyn" "$SCRATCH/hello.c" 2>/dev/null; then
    progs+=("$SCRATCH/hello-musl-dyn")
fi
for p in "${progs[@]}"; do
    expect_clean_error "$(basename "$p")" run "$p"
    expect_err_contains "$(basename "$p")" 'dynamic'
    echo "ok: $(basename "$p"): $err"
done
