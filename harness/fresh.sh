#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fresh.sh (make fresh-check; CI's .ci/run): the README's two commands on a
# fresh Debian 12 machine, as a new user would type them.  As root:
#
#   1. a stale root of an interrupted run is removed: its mounts undone
#      first (deepest first, lazily if busy), then rm -rf --one-file-system
#   2. debootstrap --variant=minbase bookworm into $O/fresh/root, from the
#      mirror in the host's apt sources (FRESH_MIRROR= overrides); its apt
#      sources: bookworm, bookworm-updates, bookworm-security
#   3. /proc, /sys, /dev bind-mounted (and a tmpfs on /dev/shm), undone on
#      every exit (trap on EXIT, INT, TERM)
#   4. only git and make installed in it, then a git clone of this
#      checkout's committed HEAD in /root/ci
#   5. there, as root with CI=true: `make`, then `make check`: every other
#      package is installed by the project's own files (harness/lib/deps.sh)
#
# Everything is written under $O/fresh (O default build/): the root, the
# clone and its build/ inside it, the logs.  The closing line is the inner
# `make check`'s "check: N passed, N failed"; the exit status is the inner
# one.  Every failure before that is one "[fresh] ERROR: ..." line and a
# non-zero exit.
#
#   fresh.sh            the whole run
#   fresh.sh --clean    only remove a stale root
#
# Environment: O, FRESH_MIRROR and FRESH_SECURITY_MIRROR (default: from the
# host's apt sources), FRESH_MIN_FREE_GB (default 16), DEPS_NO_INSTALL=1
# (do not install the host's missing packages, only name them).

set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/lib/common.sh
source "$HARNESS/lib/common.sh"
# shellcheck source=harness/lib/deps.sh
source "$HARNESS/lib/deps.sh"

SUITE=bookworm
FRESH=$O/fresh
mkdir -p "$FRESH"
# The physical path: /proc/self/mountinfo has no symlinks.
FRESH=$(cd "$FRESH" && pwd -P)
ROOT=$FRESH/root
CLONE=/root/ci
FRESH_MIN_FREE_GB=${FRESH_MIN_FREE_GB:-16}
# What the root's apt keeps from the host's: how to reach the mirror.
APT_CONF_KEEP='^[[:space:]]*Acquire::'

fail() {
	echo "[fresh] ERROR: $*" >&2
	exit 1
}

# --------------------------------------------------------------------------
# Mounts under the root

# Mount points at or under $ROOT, deepest first (mountinfo's octal escapes
# decoded).
root_mounts() {
	local mp

	while read -r mp; do
		printf '%b\n' "$mp"
	done < <(awk '{print $5}' /proc/self/mountinfo) |
		awk -v r="$ROOT" '$0 == r || index($0, r "/") == 1' | sort -r
}

# Processes whose root directory is $ROOT: "PID COMMAND" lines.
root_processes() {
	local p r

	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		if [ "$r" = "$ROOT" ] || [[ $r == "$ROOT"/* ]]; then
			echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null || echo '?')"
		fi
	done
}

# Undo every mount under $ROOT: deepest first, lazily when busy.  Fails
# when one stays.
undo_mounts() {
	local m left

	for _ in 1 2 3; do
		mapfile -t left < <(root_mounts)
		[ "${#left[@]}" -gt 0 ] || return 0
		for m in "${left[@]}"; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
	done
	mapfile -t left < <(root_mounts)
	if [ "${#left[@]}" -gt 0 ]; then
		echo "[fresh] ERROR: could not unmount ${left[*]}: unmount it by hand (umount -l ${left[0]})" >&2
		return 1
	fi
}

# The EXIT trap: the inner processes end, the mounts are undone.
on_exit() {
	local rc=$? pid _

	trap - EXIT INT TERM
	if [ "${MOUNTED:-}" = 1 ]; then
		while read -r pid _; do
			kill -TERM "$pid" 2>/dev/null || true
		done < <(root_processes)
		sleep 1
		while read -r pid _; do
			kill -KILL "$pid" 2>/dev/null || true
		done < <(root_processes)
		undo_mounts || rc=1
	fi
	exit "$rc"
}

# A stale root of an interrupted run: nothing may run in it; its mounts are
# undone before anything is removed, and rm never crosses into another file
# system.  A bind mount of the same file system is not another file system
# for rm: that is why nothing is removed while a mount is left.
clean_root() {
	local procs n

	[ -e "$ROOT" ] || return 0
	procs=$(root_processes | tr '\n' ',' | sed 's/,$//; s/,/, /g')
	if [ -n "$procs" ]; then
		fail "a stale root $ROOT still has processes running in it (PID COMMAND: $procs): stop them (kill PID) and re-run"
	fi
	n=$(root_mounts | wc -l)
	undo_mounts || fail "the stale root $ROOT is still mounted: unmount it (see above) and re-run"
	rm -rf --one-file-system "$ROOT" ||
		fail "could not remove the stale root $ROOT (rm -rf --one-file-system failed): remove it by hand"
	[ ! -e "$ROOT" ] || fail "the stale root $ROOT is still there: remove it by hand"
	echo "[fresh] removed a stale root ($n mount(s) undone first): $ROOT"
}

# --------------------------------------------------------------------------
# The mirror: from the host's apt sources

# "URI SUITE" for every enabled deb source of the host, one-line and
# deb822 formats.
host_sources() {
	local f

	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if (i + 1 <= NF) print $i, $(i + 1)
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'function flush(  nu, ns, u, s, i, j) {
			if (deb && on) {
				nu = split(uris, u, " "); ns = split(suites, s, " ")
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
			}
			deb = 0; on = 1; uris = ""; suites = ""
		}
		BEGIN { on = 1 }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]*#/ { next }
		tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uris = uris " " $i }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++) suites = suites " " $i }
		tolower($1) == "enabled:" { on = (tolower($2) != "no") }
		END { flush() }' "$f"
	done
}

# mirror_for SUITE: the host's first URI for SUITE.
mirror_for() {
	host_sources | awk -v s="$1" '$2 == s {print $1; exit}'
}

# --------------------------------------------------------------------------
# The root

# in_root CMD...: CMD in the root, as root, with a fresh machine's
# environment and CI=true.
in_root() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 TERM=dumb CI=true "$@"
}

# A package the mirror lacks, from an apt-get log: "NAME ..." or nothing.
apt_lacking() {
	sed -n -e 's/^E: Unable to locate package \(.*\)$/\1/p' \
		-e "s/^E: Package '\\(.*\\)' has no installation candidate\$/\\1/p" "$1" |
		sort -u | tr '\n' ' ' | sed 's/ $//'
}

make_root() {
	local mirror=$1 security=$2 updates=$3 log=$FRESH/debootstrap.log f t0

	t0=$(date +%s)
	echo "[fresh] debootstrap --variant=minbase $SUITE $ROOT $mirror (log: $log)"
	if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror" >"$log" 2>&1; then
		if grep -qs "No space left on device" "$log"; then
			fail "disk full: debootstrap ran out of space under $FRESH (log: $log)"
		fi
		fail "debootstrap failed: $(grep -m1 -E '^E: ' "$log" || tail -n1 "$log") (log: $log)"
	fi
	# A fresh Debian 12 machine's apt sources, on the host's mirrors.
	{
		echo "deb $mirror $SUITE main"
		[ -z "$updates" ] || echo "deb $mirror $SUITE-updates main"
		echo "deb $security $SUITE-security main"
	} >"$ROOT/etc/apt/sources.list"
	for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
		if [ -f "$f" ] && grep -qE "$APT_CONF_KEEP" "$f"; then
			mkdir -p "$ROOT/etc/apt/apt.conf.d"
			cp "$f" "$ROOT/etc/apt/apt.conf.d/$(basename "$f")"
		fi
	done
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
	cp /etc/hosts "$ROOT/etc/hosts"
	echo "[fresh] minbase root made in $(( $(date +%s) - t0 ))s"
}

mount_root() {
	local d

	MOUNTED=1
	for d in proc sys dev; do
		mount --bind "/$d" "$ROOT/$d" || fail "mount --bind /$d $ROOT/$d failed"
	done
	# Nothing the root writes lands in the host's /dev.
	mount -t tmpfs -o mode=1777 tmpfs "$ROOT/dev/shm" || fail "mount of a tmpfs on $ROOT/dev/shm failed"
}

install_git_make() {
	local log=$FRESH/apt.log lacking

	if ! in_root apt-get update >"$log" 2>&1; then
		fail "apt-get update in the root failed: $(grep -m1 -E '^(E|Err):' "$log" || tail -n1 "$log") (log: $log)"
	fi
	if ! in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends git make >>"$log" 2>&1; then
		lacking=$(apt_lacking "$log")
		[ -z "$lacking" ] || fail "the mirror has no package $lacking (log: $log)"
		if grep -qs "No space left on device" "$log"; then
			fail "disk full: apt-get ran out of space under $FRESH (log: $log)"
		fi
		fail "apt-get install git make in the root failed: $(grep -m1 '^E:' "$log" || tail -n1 "$log") (log: $log)"
	fi
	# shellcheck disable=SC2016 # dpkg-query's ${...}: the quotes are meant
	echo "[fresh] installed git and make: $(in_root dpkg-query -W -f='${Package}=${Version} ' git make)"
}

clone_checkout() {
	local head

	head=$(git -C "$TOP" rev-parse HEAD)
	if [ -n "$(git -C "$TOP" status --porcelain --untracked-files=no)" ]; then
		echo "[fresh] note: uncommitted changes in $TOP are not in the clone: it is of HEAD $head"
	fi
	# The checkout, as a bare copy inside the root, to clone from there.
	mkdir -p "$ROOT/srv"
	git clone -q --bare --no-local "$TOP" "$ROOT/srv/checkout.git" ||
		fail "git clone --bare $TOP failed"
	in_root git -c advice.detachedHead=false clone -q /srv/checkout.git "$CLONE" || fail "git clone in the root failed"
	[ "$(in_root git -C "$CLONE" rev-parse HEAD)" = "$head" ] ||
		fail "the clone's HEAD is not $head (HEAD of $TOP moved during the clone?): re-run"
	echo "[fresh] cloned $TOP at $(git -C "$TOP" rev-parse --short HEAD) into $ROOT$CLONE"
}

# inner NAME CMD...: run CMD in the clone, output shown and in
# $FRESH/NAME.log; sets RC and SECS.  In the background, waited for: a
# signal is handled at once, not when the inner command ends.
inner() {
	local name=$1 t0

	shift
	t0=$(date +%s)
	echo "[fresh] $* (in $ROOT$CLONE, log: $FRESH/$name.log)"
	RC=0
	# shellcheck disable=SC2016 # sh -c '...' sh ARGS: the quotes are meant
	(
		set +e
		in_root sh -c 'cd "$1" && shift && exec "$@"' sh "$CLONE" "$@" </dev/null 2>&1 |
			tee "$FRESH/$name.log"
		exit "${PIPESTATUS[0]}"
	) &
	wait "$!" || RC=$?
	SECS=$(( $(date +%s) - t0 ))
}

main() {
	local mirror security updates free need t0 line make_secs

	[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap, mount, chroot): sudo $0"
	exec 9>"$FRESH/lock"
	flock -n 9 || fail "another fresh-check is running in $FRESH (lock $FRESH/lock): wait for it to end"
	if [ "${1:-}" = --clean ]; then
		clean_root
		return
	fi
	[ -z "${1:-}" ] || fail "usage: $0 [--clean]"

	t0=$(date +%s)
	# The host needs only debootstrap and git: the preflight names them
	# (and installs them, unless DEPS_NO_INSTALL=1).
	# shellcheck disable=SC2119 # no --check: as root it installs
	DEPS_SCOPES=fresh stage_deps
	clean_root
	need=$((FRESH_MIN_FREE_GB * 1024 * 1024))
	free=$(df -Pk "$FRESH" | awk 'NR == 2 {print $4}')
	if [ "$free" -lt "$need" ]; then
		fail "no free disk: $((free / 1024 / 1024)) GiB free under $FRESH, the fresh root needs about $FRESH_MIN_FREE_GB GiB: free some space (or set FRESH_MIN_FREE_GB)"
	fi
	mirror=${FRESH_MIRROR:-$(mirror_for "$SUITE")}
	security=${FRESH_SECURITY_MIRROR:-$(mirror_for "$SUITE-security")}
	updates=$(mirror_for "$SUITE-updates")
	[ -n "$mirror" ] ||
		fail "no Debian $SUITE mirror in the host's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/): add one, or set FRESH_MIRROR=<url>"
	[ -n "$security" ] ||
		fail "no $SUITE-security source in the host's apt sources (linux-source-6.12 comes from there): add one, or set FRESH_SECURITY_MIRROR=<url>"

	trap on_exit EXIT
	trap 'echo "[fresh] ERROR: interrupted (SIGINT)" >&2; exit 130' INT
	trap 'echo "[fresh] ERROR: interrupted (SIGTERM)" >&2; exit 143' TERM
	make_root "$mirror" "$security" "$updates"
	mount_root
	install_git_make
	clone_checkout

	inner make make
	make_secs=$SECS
	if [ "$RC" -ne 0 ]; then
		fail "make failed in the fresh root (exit $RC after ${SECS}s): see its output above (log: $FRESH/make.log)"
	fi
	echo "[fresh] make passed in ${SECS}s"
	inner check make check
	line=$(grep -E '^check: [0-9]+ passed, [0-9]+ failed$' "$FRESH/check.log" | tail -n1 || true)
	echo "[fresh] make ${make_secs}s, make check ${SECS}s (exit $RC), whole fresh-check $(( $(date +%s) - t0 ))s"
	if [ -z "$line" ]; then
		fail "make check in the fresh root gave no closing line (exit $RC): see $FRESH/check.log"
	fi
	echo "$line"
	return "$RC"
}

main "$@"
