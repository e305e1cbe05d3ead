# apps/debian-mirror.sh - sourced by the apps/*/build.sh scripts.
# The machine's Debian mirror, read at run time from its apt sources (so that
# no registry host is written into the project), for a private deb-src list.

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
