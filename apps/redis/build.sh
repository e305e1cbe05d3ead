#!/bin/sh
# apps/redis/build.sh - build build/apps/redis-server, a static-PIE Redis 7 for
# ufork (plus redis-check-rdb, redis-cli and redis-benchmark, which the same
# `make` produces).
#
# What: fetches Debian's own redis source package (bookworm: 5:7.0.x, with the
# bookworm-security updates when the machine's apt sources list that suite)
# the way `apt-get source redis` does - upstream tarball plus Debian's patches,
# applied by dpkg-source - and builds it as debian/rules does (`make V=1` with
# dpkg-buildflags' hardening flags) but with tools/ufork-cc as CC, so every
# program is a static-PIE musl executable.
#
# Why: Debian's redis-server is dynamically linked against glibc (and its
# jemalloc), so ufork cannot load it; Redis's BGSAVE/BGREWRITEAOF fork() a
# child that writes a snapshot while the parent serves clients - the classic
# fork workload.
#
# Build choices (make variables only; no source change beyond Debian's patches):
#   MALLOC=libc          musl's malloc.  debian/rules builds with
#                        USE_SYSTEM_JEMALLOC=yes USE_JEMALLOC=yes (Debian's
#                        glibc libjemalloc, not linkable with musl), and
#                        Redis's bundled jemalloc packs bits above bit 48 of
#                        its pointers (rtree/edata), which ufork's pointer
#                        relocation cannot see.  Debian's patch 0004
#                        (USE_SYSTEM_JEMALLOC) only matters under USE_JEMALLOC.
#   BUILD_TLS=no         debian/rules exports BUILD_TLS=yes (glibc libssl).
#   USE_SYSTEMD=no       debian/rules uses USE_SYSTEMD=yes (glibc libsystemd).
#   bundled deps         this Debian version patches none of lua, hiredis,
#                        linenoise, hdr_histogram or lzf out: Redis 7.0's
#                        Makefile has no USE_SYSTEM_LUA/HIREDIS switch and
#                        compiles deps/ and src/lzf_*.c, as Debian's package
#                        does too.  debian/rules' leftover
#                        DEB_CFLAGS_MAINT_APPEND=-I/usr/include/liblzf and
#                        DEB_LDFLAGS_MAINT_APPEND=-Wl,-no-as-needed -ldl
#                        -latomic -llzf are not used: nothing calls liblzf, the
#                        glibc-built liblzf/libatomic cannot go into a musl
#                        executable, x86-64 needs no libatomic, and Redis's
#                        Makefile already adds -ldl (an empty stub in musl).
# No Debian patch prevents the musl build; all of debian/patches/series applies.
#
# Private apt configuration: the machine's apt sources are left alone.  The
# script reads the mirror URIs (and Signed-By keyrings) for the bookworm and
# bookworm-security suites from /etc/apt/sources.list and
# /etc/apt/sources.list.d/*.{list,sources} at run time, writes `deb-src` lines
# for them into build/apps/redis-apt/sources.list, and runs apt-get with
#   -o Dir::Etc::SourceList=<that file> -o Dir::Etc::SourceParts=<empty dir>
#   -o Dir::State::Lists=<private dir> -o Dir::Cache=<private dir>
# so `apt-get update` downloads only the Sources indexes into
# build/apps/redis-apt/ and `apt-get source redis` unpacks the newest package
# there.
#
# Needs dpkg-dev (dpkg-source, dpkg-buildflags), make, gcc and musl-dev;
# installs them with apt-get when run as root, otherwise names the command.
# As root it also installs Debian's redis-tools (a glibc redis-cli,
# redis-benchmark and redis-check-rdb, handy as an independent client for
# tests); it is not needed for the build.
# Idempotent: skips the build when build/apps/redis-server is newer than this
# script and the ufork-cc toolchain files.  Quiet on success apart from a
# final line naming the binaries; on failure prints the tail of
# build/apps/redis-apt/build.log.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRIPT=$ROOT/apps/redis/build.sh
OUTDIR=$ROOT/build/apps
OUT=$OUTDIR/redis-server
PROGS="redis-server redis-check-rdb redis-cli redis-benchmark"
WORK=$ROOT/build/apps/redis-apt
LOG=$WORK/build.log
SUITE=bookworm
SUITES="$SUITE $SUITE-security"

# Up to date?  Rebuilt when this script or the compiler wrapper changes.
uptodate=yes
for p in $PROGS; do
	[ -x "$OUTDIR/$p" ] || uptodate=no
done
if [ $uptodate = yes ] && [ -z "$(find "$SCRIPT" "$ROOT/tools/ufork-cc" \
	"$ROOT/tools/musl-static-pie.specs" -newer "$OUT" 2>/dev/null)" ]; then
	echo "build/apps/redis-server (up to date)"
	exit 0
fi

# Keep an invoking make's flags and variables (e.g. CC=..., -B) out of the
# sub-build, and make the build independent of the caller's environment.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES CFLAGS CPPFLAGS LDFLAGS \
      REDIS_CFLAGS REDIS_LDFLAGS MALLOC USE_JEMALLOC USE_SYSTEM_JEMALLOC \
      USE_TCMALLOC USE_TCMALLOC_MINIMAL BUILD_TLS USE_SYSTEMD PREFIX \
      OPTIMIZATION 2>/dev/null || true
export LC_ALL=C

mkdir -p "$WORK"
: >"$LOG"

# die, run and the Debian source helpers
# shellcheck source=../debian-mirror.sh
. "$ROOT/apps/debian-mirror.sh"

# --- build tools (and, as root, Debian's redis-tools) --------------------------
missing=$(missing_build_tools)
if [ "$(id -u)" = 0 ]; then
	command -v redis-cli >/dev/null 2>&1 || missing="$missing redis-tools"
fi
# shellcheck disable=SC2086 # a list of packages
install_missing $missing


# --- private apt configuration and source download ----------------------------
# shellcheck disable=SC2086 # SUITES is a list
fetch_source redis "$WORK" $SUITES

# --- build (as debian/rules does, with ufork-cc and the choices above) ---------
cd "$srcdir"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all   # from debian/rules
CFLAGS=$(dpkg-buildflags --get CFLAGS)
CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
jobs=$(nproc 2>/dev/null || echo 2)
# src/mkreleasehdr.sh asks git for a SHA1: keep it from finding the ufork
# repository around build/ (redis_git_sha1 stays 00000000, as in Debian's).
GIT_CEILING_DIRECTORIES=$WORK/src
export GIT_CEILING_DIRECTORIES
run make -j"$jobs" V=1 CC="$ROOT/tools/ufork-cc" \
	CFLAGS="$CFLAGS" CPPFLAGS="$CPPFLAGS" LDFLAGS="$LDFLAGS" \
	MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no

# --- check and install --------------------------------------------------------
for p in $PROGS; do
	bin=$srcdir/src/$p
	hdr=$(readelf -lh "$bin" 2>>"$LOG") || die "readelf failed on $bin"
	echo "$hdr" | grep -q 'Type:[[:space:]]*DYN' || die "$bin is not a PIE (ELF type is not DYN)"
	! echo "$hdr" | grep -q INTERP || die "$bin has a PT_INTERP (not static-PIE)"
done
ver=$("$srcdir/src/redis-server" --version 2>>"$LOG") || die "redis-server does not run"
echo "$ver" >>"$LOG"
echo "$ver" | grep -q 'malloc=libc' || die "redis-server is not built with MALLOC=libc: $ver"
"$srcdir/src/redis-cli" --version >>"$LOG" 2>&1 || die "redis-cli does not run"

mkdir -p "$OUTDIR"
# redis-server last: it is the stamp the up-to-date check compares against.
for p in redis-check-rdb redis-cli redis-benchmark redis-server; do
	cp "$srcdir/src/$p" "$OUTDIR/$p.tmp"
	mv -f "$OUTDIR/$p.tmp" "$OUTDIR/$p"
done
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$srcdir/debian/changelog")
echo "build/apps/redis-server, redis-check-rdb, redis-cli, redis-benchmark (redis $version, static-PIE, malloc=libc)"
