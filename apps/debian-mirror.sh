# apps/debian-mirror.sh - sourced by the apps/*/build.sh scripts: getting a
# Debian source package through a private apt configuration.  The machine's
# Debian mirror is read at run time from its apt sources (so that no registry
# host is written into the project); the machine's own apt configuration is
# left alone.  The caller sets LOG (its build log) before sourcing this.

# die MESSAGE: the message and the end of the log, then exit 1.
die() {
	echo "${0#"$ROOT"/}: $*" >&2
	if [ -s "$LOG" ]; then
		echo "--- last lines of $LOG:" >&2
		tail -n 30 "$LOG" >&2
	fi
	exit 1
}

# run CMD...: log the command and its output; abort with the log on failure.
run() {
	echo "+ $*" >>"$LOG"
	"$@" >>"$LOG" 2>&1 || die "failed: $*"
}

# missing_build_tools: the Debian packages, each after a space, of the tools
# every build here needs (dpkg-source and dpkg-buildflags, make, gcc, musl's
# static-PIE start file) that are not installed.
missing_build_tools() {
	m=
	{ command -v dpkg-source && command -v dpkg-buildflags; } >/dev/null 2>&1 ||
		m="$m dpkg-dev"
	command -v make >/dev/null 2>&1 || m="$m make"
	command -v gcc >/dev/null 2>&1 || m="$m gcc"
	[ -e /usr/lib/x86_64-linux-musl/rcrt1.o ] || m="$m musl-dev"
	echo "$m"
}

# install_missing PKG...: as root, apt-get install the packages (after an
# apt-get update where the first try fails); otherwise print the command to
# run and exit 1.  Nothing to do without packages.
install_missing() {
	[ $# -gt 0 ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "${0#"$ROOT"/}: missing build tools; run as root:" >&2
		echo "  apt-get install -y --no-install-recommends $*" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "$@" >>"$LOG" 2>&1; then
		run apt-get update -q
		run apt-get install -y -q --no-install-recommends "$@"
	fi
}

# find_mirror SUITE: prints "URI KEYRING" (KEYRING may be empty) for the first
# enabled deb/deb-src entry whose suite is exactly SUITE, from one-line and
# deb822 sources files.
find_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v suite="$1" '
			/^[ \t]*(deb|deb-src)[ \t]/ {
				line = $0; key = ""
				if (match(line, /\[[^]]*\]/)) {
					opts = substr(line, RSTART + 1, RLENGTH - 2)
					line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
					n = split(opts, o, /[ \t]+/)
					for (i = 1; i <= n; i++)
						if (tolower(o[i]) ~ /^signed-by=/) key = substr(o[i], 11)
				}
				split(line, w, /[ \t]+/)
				k = (w[1] == "") ? 2 : 1
				if (w[k + 2] == suite) { print w[k + 1], key; exit }
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v suite="$1" '
			function flush(  n, i, s, u) {
				if (types ~ /(^| )deb(-src)?( |$)/ && enabled != "no") {
					n = split(suites, s, /[ \t]+/)
					for (i = 1; i <= n; i++) if (s[i] == suite) {
						split(uris, u, /[ \t]+/)
						print u[1], key; found = 1; return
					}
				}
			}
			function reset() { types = uris = suites = key = ""; enabled = "yes" }
			BEGIN { reset() }
			/^#/ { next }
			/^[ \t]*$/ { flush(); if (found) exit; reset(); next }
			/^[ \t]/ { next }   # continuation (e.g. an inline Signed-By key)
			{
				field = tolower($0); sub(/:.*/, "", field)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
				if (field == "types") types = val
				else if (field == "uris") uris = val
				else if (field == "suites") suites = val
				else if (field == "enabled") enabled = tolower(val)
				else if (field == "signed-by" && val ~ /^\//) key = val
			}
			END { if (!found) flush() }' "$f"
	done
}

# fetch_source PACKAGE WORKDIR SUITE [OPTIONAL_SUITE...]: writes deb-src lines
# for the suites (SUITE must be listed in the machine's sources; the others
# are used when they are) into WORKDIR/sources.list, runs apt-get update and
# `apt-get source PACKAGE` with
#   -o Dir::Etc::SourceList=<that file> -o Dir::Etc::SourceParts=<empty dir>
#   -o Dir::State::Lists=<private dir> -o Dir::Cache=<private dir>
# (Debian's patches applied by dpkg-source), and sets srcdir to the tree.
fetch_source() {
	_pkg=$1 _work=$2 _base=$3
	shift 2
	mkdir -p "$_work/parts" "$_work/lists/partial" "$_work/cache/archives/partial"
	: >"$_work/sources.list"
	for _s in "$@"; do
		_mirror=$(find_mirror "$_s" | head -n 1)
		_uri=${_mirror%% *}
		_key=${_mirror#* }
		if [ -z "$_uri" ]; then
			[ "$_s" != "$_base" ] || die "no '$_base' entry found in the machine's apt sources"
			continue
		fi
		[ "$_key" != "$_mirror" ] || _key=
		if [ -z "$_key" ] && [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
			_key=/usr/share/keyrings/debian-archive-keyring.gpg
		fi
		if [ -n "$_key" ]; then
			echo "deb-src [signed-by=$_key] $_uri $_s main" >>"$_work/sources.list"
		else
			echo "deb-src $_uri $_s main" >>"$_work/sources.list"
		fi
	done
	set -- -q \
		-o Dir::Etc::SourceList="$_work/sources.list" \
		-o Dir::Etc::SourceParts="$_work/parts" \
		-o Dir::State::Lists="$_work/lists" \
		-o Dir::Cache="$_work/cache"
	# As root apt would drop to the _apt user, which cannot write under
	# build/; it falls back to root anyway (with a warning): say so up front.
	[ "$(id -u)" != 0 ] || set -- "$@" -o APT::Sandbox::User=root
	run apt-get "$@" update
	rm -rf "$_work/src"
	mkdir -p "$_work/src"
	(cd "$_work/src" && run apt-get "$@" source "$_pkg")
	srcdir=
	for _d in "$_work"/src/"$_pkg"-*/; do
		[ -f "$_d/debian/rules" ] && srcdir=${_d%/}
	done
	[ -n "$srcdir" ] || die "apt-get source $_pkg produced no source tree"
}
