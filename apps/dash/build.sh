#!/bin/sh
# apps/dash/build.sh - build build/apps/dash, a static-PIE dash for ufork.
#
# What: fetches Debian's own dash source package (bookworm) the way
# `apt-get source dash` does - upstream tarball plus Debian's patches, applied
# by dpkg-source - regenerates the autotools files (Debian's patches touch
# configure.ac and src/Makefile.am, which dh_autoreconf handles in the real
# package build), configures it with debian/rules' flags and
# dpkg-buildflags' hardening flags, and compiles it with tools/ufork-cc into a
# static-PIE musl executable.
#
# Why: Debian's /bin/sh (dash) is dynamically linked against glibc, so ufork
# cannot load it; µprocesses that call system()/popen() need a static-PIE shell.
#
# Private apt configuration: the machine's apt sources are left alone.  The
# script reads the mirror URI (and its Signed-By keyring) for the bookworm
# suite from /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}
# at run time, writes one `deb-src` line for it into
# build/apps/dash-apt/sources.list, and runs apt-get with
#   -o Dir::Etc::SourceList=<that file> -o Dir::Etc::SourceParts=<empty dir>
#   -o Dir::State::Lists=<private dir> -o Dir::Cache=<private dir>
# so `apt-get update` downloads only the Sources index into build/apps/dash-apt/
# and `apt-get source dash` unpacks the package there.
#
# Needs dpkg-dev (dpkg-source), autoconf, automake, make, gcc and musl-dev;
# installs them with apt-get when run as root, otherwise names the command.
# Idempotent: skips the build when build/apps/dash is newer than this script
# and the ufork-cc toolchain files.  Quiet on success apart from a final line
# naming the binary; on failure prints the tail of build/apps/dash-apt/build.log.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRIPT=$ROOT/apps/dash/build.sh
OUT=$ROOT/build/apps/dash
WORK=$ROOT/build/apps/dash-apt
LOG=$WORK/build.log
SUITE=bookworm

# Up to date?  Rebuilt when this script or the compiler wrapper changes.
if [ -x "$OUT" ] && [ -z "$(find "$SCRIPT" "$ROOT/tools/ufork-cc" \
	"$ROOT/tools/musl-static-pie.specs" -newer "$OUT" 2>/dev/null)" ]; then
	echo "build/apps/dash (up to date)"
	exit 0
fi

# Keep an invoking make's flags and variables (e.g. CC=..., -B) out of the
# sub-build, and make the build independent of the caller's environment.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES CC_FOR_BUILD CFLAGS_FOR_BUILD \
      CPPFLAGS_FOR_BUILD LDFLAGS_FOR_BUILD LIBS CONFIG_SITE 2>/dev/null || true
export LC_ALL=C

mkdir -p "$WORK"
: >"$LOG"

# die, run and the Debian source helpers
# shellcheck source=../debian-mirror.sh
. "$ROOT/apps/debian-mirror.sh"

# --- build tools -------------------------------------------------------------
missing=$(missing_build_tools)
command -v autoreconf >/dev/null 2>&1 || missing="$missing autoconf"
command -v automake   >/dev/null 2>&1 || missing="$missing automake"
# shellcheck disable=SC2086 # a list of packages
install_missing $missing


fetch_source dash "$WORK" "$SUITE"

# --- configure and build (as debian/rules does, with ufork-cc) ----------------
cd "$srcdir"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all   # from debian/rules
CFLAGS=$(dpkg-buildflags --get CFLAGS)
CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
run autoreconf -fi
# debian/rules: --disable-fnmatch --disable-lineno --disable-glob.  No libedit
# (Debian's dash does not use it either), so the shell needs only libc.
run ./configure CC="$ROOT/tools/ufork-cc" CFLAGS="$CFLAGS" CPPFLAGS="$CPPFLAGS" \
	LDFLAGS="$LDFLAGS" --prefix=/usr --disable-dependency-tracking \
	--disable-silent-rules --disable-fnmatch --disable-lineno --disable-glob \
	--without-libedit
jobs=$(nproc 2>/dev/null || echo 2)
run make -j"$jobs"

# --- check and install --------------------------------------------------------
bin=$srcdir/src/dash
hdr=$(readelf -lh "$bin" 2>>"$LOG") || die "readelf failed on $bin"
echo "$hdr" | grep -q 'Type:[[:space:]]*DYN' || die "$bin is not a PIE (ELF type is not DYN)"
! echo "$hdr" | grep -q INTERP || die "$bin has a PT_INTERP (not static-PIE)"
# shellcheck disable=SC2016
[ "$("$bin" -c 'x=o; echo ${x}k')" = ok ] || die "$bin does not run"

mkdir -p "$(dirname "$OUT")"
cp "$bin" "$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$srcdir/debian/changelog")
echo "build/apps/dash (dash $version, static-PIE)"
