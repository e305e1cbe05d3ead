#!/bin/sh
# apps/nginx/build.sh - build build/apps/nginx, a static-PIE nginx 1.22 for
# ufork.
#
# What: fetches Debian's own nginx source package (bookworm: 1.22.1-9+deb12uN
# from the bookworm suite; bookworm-security is not used: the machine's mirror
# lists nginx there but serves only its .orig tarball, not the .dsc) the way `apt-get source nginx` does - upstream tarball plus Debian's patches,
# applied by dpkg-source - and builds it with nginx's own ./configure and make
# with dpkg-buildflags' flags (as debian/rules does) but with tools/ufork-cc as
# CC, so the program is a static-PIE musl executable.
#
# Why: Debian's nginx is dynamically linked against glibc (and libpcre2, zlib,
# libssl, libcrypt), so ufork cannot load it; nginx's master process fork()s
# its workers, re-forks a new set on SIGHUP and stops them on SIGQUIT - the
# classic pre-fork server.
#
# Build choices (configure options only; no source change beyond Debian's
# patches):
#   --without-http_rewrite_module --without-pcre
#                       the rewrite module needs PCRE; Debian has no static
#                       musl libpcre2 (its libpcre2-dev is glibc's).
#   --without-http_gzip_module
#                       needs zlib; the same holds for zlib1g-dev.
#   --without-http_auth_basic_module
#                       calls crypt(3) through <crypt.h>, which musl-dev lacks
#                       (musl declares crypt() in <unistd.h>).
#   -I build/apps/nginx-apt/nocrypt
#                       src/os/unix/ngx_linux_config.h includes <crypt.h>
#                       unconditionally; musl-dev has no such header (musl
#                       declares crypt() in <unistd.h>).  An empty crypt.h in
#                       that directory, passed with --with-cc-opt, satisfies
#                       the include.
#   no ssl, no dynamic modules, none of debian/modules
#                       debian/rules builds with --with-http_ssl_module and
#                       loads third-party modules as .so files; a static
#                       executable has no dlopen and there is no musl libssl.
#   --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf ...
#                       Debian's paths, so the binary's defaults match the
#                       package's; tests and benchmarks pass -p and -c.
# No Debian patch prevents the musl build; all of debian/patches/series applies.
#
# Private apt configuration: see apps/debian-mirror.sh (the machine's apt
# configuration is left alone; the Sources indexes and the unpacked package
# go to build/apps/nginx-apt/).
#
# Needs dpkg-dev (dpkg-source, dpkg-buildflags), make, gcc and musl-dev;
# installs them with apt-get when run as root, otherwise names the command.
# Idempotent: skips the build when build/apps/nginx is newer than this script
# and the ufork-cc toolchain files.  Quiet on success apart from a final line
# naming the binary; on failure prints the tail of build/apps/nginx-apt/build.log.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRIPT=$ROOT/apps/nginx/build.sh
OUTDIR=$ROOT/build/apps
OUT=$OUTDIR/nginx
WORK=$ROOT/build/apps/nginx-apt
LOG=$WORK/build.log
SUITE=bookworm
SUITES=$SUITE

if [ -x "$OUT" ] && [ -z "$(find "$SCRIPT" "$ROOT/tools/ufork-cc" \
	"$ROOT/tools/musl-static-pie.specs" -newer "$OUT" 2>/dev/null)" ]; then
	echo "build/apps/nginx (up to date)"
	exit 0
fi

unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES CFLAGS CPPFLAGS LDFLAGS \
      2>/dev/null || true
export LC_ALL=C

mkdir -p "$WORK"
: >"$LOG"

# shellcheck source=../debian-mirror.sh
. "$ROOT/apps/debian-mirror.sh"

# --- build tools --------------------------------------------------------------
missing=$(missing_build_tools)
# shellcheck disable=SC2086 # a list of packages
install_missing $missing

# --- private apt configuration and source download ----------------------------
# shellcheck disable=SC2086 # SUITES is a list
fetch_source nginx "$WORK" $SUITES

# --- configure and build ------------------------------------------------------
cd "$srcdir"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS=$(dpkg-buildflags --get CFLAGS)
CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
mkdir -p "$WORK/nocrypt"
: >"$WORK/nocrypt/crypt.h"
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
run ./configure \
	--with-cc="$ROOT/tools/ufork-cc" \
	--with-cc-opt="$CFLAGS $CPPFLAGS -I$WORK/nocrypt" \
	--with-ld-opt="$LDFLAGS" \
	--prefix=/usr/share/nginx \
	--conf-path=/etc/nginx/nginx.conf \
	--http-log-path=/var/log/nginx/access.log \
	--error-log-path=/var/log/nginx/error.log \
	--lock-path=/var/lock/nginx.lock \
	--pid-path=/run/nginx.pid \
	--http-client-body-temp-path=/var/lib/nginx/body \
	--http-proxy-temp-path=/var/lib/nginx/proxy \
	--http-fastcgi-temp-path=/var/lib/nginx/fastcgi \
	--http-uwsgi-temp-path=/var/lib/nginx/uwsgi \
	--http-scgi-temp-path=/var/lib/nginx/scgi \
	--with-threads \
	--without-http_rewrite_module --without-pcre \
	--without-http_gzip_module \
	--without-http_auth_basic_module
run make -j"$jobs"

# --- check and install --------------------------------------------------------
bin=$srcdir/objs/nginx
hdr=$(readelf -lh "$bin" 2>>"$LOG") || die "readelf failed on $bin"
echo "$hdr" | grep -q 'Type:[[:space:]]*DYN' || die "$bin is not a PIE (ELF type is not DYN)"
! echo "$hdr" | grep -q INTERP || die "$bin has a PT_INTERP (not static-PIE)"
"$bin" -V >>"$LOG" 2>&1 || die "nginx -V does not run"
cp "$bin" "$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$srcdir/debian/changelog")
echo "build/apps/nginx (nginx $version, static-PIE)"
