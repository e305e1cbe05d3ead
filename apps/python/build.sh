#!/bin/sh
# apps/python/build.sh - build build/apps/python, a static-PIE CPython 3.11 for
# ufork, with its pure-Python standard library in build/apps/python3.11/
# (the configure prefix: build/apps/python3.11/lib/python3.11/).
#
# What: fetches Debian's own python3.11 source package (bookworm: 3.11.2, with
# Debian's patches; the bookworm suite only: its -security updates are not
# on every mirror) the way `apt-get source python3.11` does - upstream tarball plus
# Debian's patches, applied by dpkg-source - and builds it with upstream's
# configure and Makefile (not debian/rules, which builds glibc shared and
# static variants, a debug interpreter and packages) with tools/ufork-cc as
# CC, so the interpreter is a static-PIE musl executable.
#
# Why: Debian's python3.11 is dynamically linked against glibc and loads its
# extension modules with dlopen; ufork runs static-PIE programs only.  The
# FaaS zygote (apps/python/zygote.py) imports its modules once and forks a
# child per request.
#
# Build choices (configure/make variables only; no source change beyond
# Debian's patches):
#   --disable-shared        one executable, no libpython3.11.so.
#   MODULE_BUILDTYPE=static configure's variable for Modules/Setup.stdlib:
#                           every extension module that configure finds
#                           usable (_socket, select, math, _struct, time,
#                           _json, binascii, _posixsubprocess, _pickle,
#                           _random, array, fcntl, ...) is linked into the
#                           interpreter instead of being a .so for dlopen
#                           (which a static musl executable cannot do).
#   no zlib/ssl/ctypes/sqlite/...  musl's include path has no headers for
#                           Debian's (glibc) libraries, so configure leaves
#                           those modules out ("missing"); setup.py's
#                           shared-only modules are not built.
#   PKG_CONFIG_LIBDIR=<empty dir>  otherwise pkg-config offers the host's
#                           glibc zlib, liblzma and libuuid (.pc files), whose
#                           headers the musl build does not see.
#   --without-ensurepip     no pip (no network but Debian's mirror anyway).
#   --with-pymalloc (default) obmalloc's arenas come from mmap: plain
#                           pointers, relocated by ufork's fork like any.
#   -DWITH_PYMALLOC_RADIX_TREE=0  obmalloc's documented compile-time switch
#                           back to its pre-3.10 address_in_range (the arena
#                           table, which holds plain pointers).  Its default
#                           radix tree is indexed by the high bits of each
#                           arena's address: after ufork's fork moves the
#                           child by a multiple of 2^32 the child's lookups
#                           land on empty nodes, pymalloc takes its own blocks
#                           for malloc's and the child's first free() of one
#                           crashes in musl's free (an address-derived index
#                           is a documented limit of ufork's relocation).
#   CC=build/apps/python-apt/cc  ufork-cc, except that it says
#                           x86_64-linux-musl to --print-multiarch (see below).
#   OPT="-fwrapv -O2 -Wall", no PGO/LTO  a quick build: configure's default
#                           OPT adds -g and -O3 (slower to compile, a larger
#                           binary); PGO would run the test suite.
#   ac_cv_crypt_crypt=no    no _crypt module: Debian's musl-dev ships no
#                           crypt() (its libc.a has no crypt objects, and there
#                           is no libcrypt.a or <crypt.h> for musl), yet
#                           configure's probe (`void *x = crypt;`, optimised
#                           away at -O2) answers yes and the interpreter's link
#                           then fails on `crypt`.  The cache variable tells
#                           configure the truth: _crypt is "missing".
#   py_cv_module_xxlimited{,_35}=n/a  configure's state for modules no
#                           static build has: the limited-API examples are
#                           *shared* only (configure enables them whenever
#                           dlopen links, --disable-test-modules or not), and
#                           a .so cannot be linked -static-pie nor loaded.
#   TESTSUBDIRS= at install no Lib/test, Lib/*/tests ... in the installed stdlib
#                           (nor their .pyc): nothing here runs CPython's test
#                           suite, and compiling it took most of the install.
#   prefix=build/apps/python3.11  the interpreter finds its stdlib through the
#                           compiled-in prefix; set PYTHONHOME to that
#                           directory when build/apps is copied elsewhere.
#
# Needs dpkg-dev (dpkg-source), make, gcc and musl-dev; installs them with
# apt-get when run as root, otherwise names the command.
# Idempotent: skips the build when build/apps/python is newer than this script
# and the ufork-cc toolchain files.  Quiet on success apart from a final line;
# on failure prints the tail of build/apps/python-apt/build.log.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRIPT=$ROOT/apps/python/build.sh
OUTDIR=$ROOT/build/apps
OUT=$OUTDIR/python
PREFIX=$OUTDIR/python3.11
WORK=$OUTDIR/python-apt
LOG=$WORK/build.log
SUITE=bookworm
SUITES=$SUITE

if [ -x "$OUT" ] && [ -f "$PREFIX/lib/python3.11/os.py" ] &&
   [ -z "$(find "$SCRIPT" "$ROOT/tools/ufork-cc" \
	"$ROOT/tools/musl-static-pie.specs" -newer "$OUT" 2>/dev/null)" ]; then
	echo "build/apps/python (up to date)"
	exit 0
fi

unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES CFLAGS CPPFLAGS LDFLAGS \
      PYTHONHOME PYTHONPATH PYTHONSTARTUP PYTHONUSERBASE 2>/dev/null || true
export LC_ALL=C

mkdir -p "$WORK"
: >"$LOG"

# shellcheck source=../debian-mirror.sh
. "$ROOT/apps/debian-mirror.sh"

missing=$(missing_build_tools)
# shellcheck disable=SC2086 # a list of packages
install_missing $missing

# shellcheck disable=SC2086 # SUITES is a list
fetch_source python3.11 "$WORK" $SUITES

# configure checks the compiler's platform triplet (x86_64-linux-musl, from
# musl's headers) against `$CC --print-multiarch`, which the host gcc behind
# ufork-cc answers with x86_64-linux-gnu: a CC wrapper answers for musl.
cat >"$WORK/cc" <<CCEOF
#!/bin/sh
[ "\$*" = --print-multiarch ] && { echo x86_64-linux-musl; exit 0; }
exec "$ROOT/tools/ufork-cc" "\$@"
CCEOF
chmod +x "$WORK/cc"
rm -rf "$WORK/obj"
mkdir -p "$WORK/obj"
cd "$WORK/obj"
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
mkdir -p "$WORK/pkgconfig"
run env MODULE_BUILDTYPE=static PKG_CONFIG_LIBDIR="$WORK/pkgconfig" PKG_CONFIG_PATH= \
	OPT="-fwrapv -O2 -Wall" \
	"$srcdir/configure" -q \
	--prefix="$PREFIX" --disable-shared --without-ensurepip \
	--disable-test-modules \
	CC="$WORK/cc" CFLAGS="-DWITH_PYMALLOC_RADIX_TREE=0" LDFLAGS="" ac_cv_crypt_crypt=no \
	py_cv_module_xxlimited=n/a py_cv_module_xxlimited_35=n/a
# configure reads Modules/Setup.stdlib (the module lines MODULE_BUILDTYPE
# marks *static*) only on Emscripten and WASI: elsewhere its
# MODULES_SETUP_STDLIB is empty, so makesetup sees Setup.bootstrap alone and
# setup.py then tries the rest as shared extensions against the host's glibc
# headers.  Setup.local (read first, as Setup.stdlib's own header suggests)
# takes its lines in; modules configure found missing stay commented out,
# and every module setup.py would build is then already built in.
cp Modules/Setup.stdlib Modules/Setup.local
# setup.py would still try _ctypes (no libffi for musl), _curses and
# _curses_panel (ncurses): it adds the host's multiarch directory
# (-I/usr/include/x86_64-linux-gnu, glibc's headers) and fails.  Setup's
# *disabled* section keeps them out of setup.py.
printf '\n*disabled*\n_ctypes\n_curses\n_curses_panel\n' >>Modules/Setup.local
run make Makefile Modules/config.c
run make -j"$jobs" python
rm -rf "$PREFIX"
run make -j"$jobs" TESTSUBDIRS= altinstall

bin=$PREFIX/bin/python3.11
hdr=$(readelf -lh "$bin" 2>>"$LOG") || die "readelf failed on $bin"
echo "$hdr" | grep -q 'Type:[[:space:]]*DYN' || die "$bin is not a PIE"
! echo "$hdr" | grep -q INTERP || die "$bin has a PT_INTERP (not static-PIE)"
"$bin" -c 'import _socket, select, math, _struct, time, _json, binascii, _posixsubprocess, json, socket, os' \
	>>"$LOG" 2>&1 || die "python lacks a module the zygote needs"
cp "$bin" "$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$srcdir/debian/changelog")
echo "build/apps/python (python3.11 $version, static-PIE), stdlib in build/apps/python3.11"
