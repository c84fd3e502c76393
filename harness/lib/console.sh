# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: what the kernel said on the console.  Every run,
# debug kernel or not, fails on a splat even when every test passed.

# What counts as a splat: one extended regex a line.  The guest boots with
# loglevel=5, so that WARN() and lockdep (KERN_WARNING) reach the console;
# the guest's /init prints kmemleak's report itself after a scan.
SPLAT_PATTERNS='
Kernel panic
Oops
general protection fault
BUG:
WARNING:
KASAN:
UBSAN:
possible circular locking
possible recursive locking
inconsistent lock state
suspicious RCU usage
kmemleak: [0-9]+ new suspected
unreferenced object 0x
INFO: task .* blocked for more than
rcu: INFO: .* detected stalls?
Call Trace:
'

splat_regex() {
	grep -v '^$' <<<"$SPLAT_PATTERNS" | paste -sd'|'
}

# console_splats CONSOLE: nothing if the console is clean; else one line
# naming the first splat, then an excerpt (it and the 15 lines after it).
console_splats() {
	local console=$1 re first n

	re=$(splat_regex)
	first=$(grep -m1 -nE "$re" "$console" | tr -d '\r' || true)
	[ -n "$first" ] || return 0
	n=$(grep -cE "$re" "$console" || true)
	echo "kernel splat ($n matching lines): ${first#*:}"
	sed -n "${first%%:*},$(( ${first%%:*} + 15 ))p" "$console" | tr -d '\r' |
		sed 's/^/    | /'
}
