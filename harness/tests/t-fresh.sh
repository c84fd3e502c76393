#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# harness/fresh.sh (make fresh-check) on bad input, without making a root:
# a stale root with mounts left in it (a bind mount standing for /dev, a
# tmpfs inside it, a mount point with a space) is removed without touching
# what is mounted; a missing debootstrap, too little free disk and a run
# already holding the lock are each one line and a non-zero exit.  The
# mounts are made under build/ (root only).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
source "$here/lib.sh"
HARNESS=$(dirname "$here")
TOP=$(dirname "$HARNESS")
REAL_O=${O:-$TOP/build}
unset O KSRC T DEPS_SCOPES DEPS_NO_INSTALL FRESH_MIN_FREE_GB

if [ "$(id -u)" -ne 0 ]; then
	for n in fresh-clean-stale-root fresh-clean-keeps-mounted-files fresh-clean-no-mount-left \
		fresh-no-debootstrap fresh-no-free-disk fresh-locked; do
		t_ok "$n" "# SKIP needs root (mount, chroot)"
	done
	t_done
	exit 0
fi

mkdir -p "$REAL_O"
o=$(mktemp -d "$(cd "$REAL_O" && pwd -P)/t-fresh.XXXXXX")
holder=
# Whatever happens: the test's own mounts undone, deepest first, before
# anything is removed.
cleanup() {
	local m

	[ -z "$holder" ] || kill "$holder" 2>/dev/null || true
	while read -r m; do
		umount -l "$(printf '%b' "$m")" 2>/dev/null || true
	done < <(awk -v r="$o" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo | sort -r)
	rm -rf --one-file-system "$o"
}
trap cleanup EXIT

# fresh NAME ENV... -- ARGS: fresh.sh with O=$o, output in $o/NAME.out,
# status in RC.
fresh() {
	local name=$1

	shift
	run_as "$name" "$o" "$HARNESS/fresh.sh" O="$o" "$@"
}

# expect_error NAME PATTERN: the last run failed, said PATTERN in one line,
# and did not end in a passing summary.
expect_error() {
	expect_failure "$o/$1.out" "$1" "$2" '^check: [0-9]+ passed, 0 failed'
}

mounts_under() {
	awk -v r="$1" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo
}

# --- a stale root -------------------------------------------------------------

root=$o/fresh/root
dev=$o/dev-outside
mkdir -p "$root/dev" "$root/proc" "$root/tmp/with space" "$root/etc" "$dev/shm"
echo keep >"$dev/sentinel"
echo stale >"$root/etc/hostname"
if mount --bind "$dev" "$root/dev" && mount -t tmpfs tmpfs "$root/dev/shm" &&
   mount -t tmpfs tmpfs "$root/tmp/with space"; then
	echo "in tmpfs" >"$root/dev/shm/file"
	fresh clean -- --clean
	if [ "$RC" -eq 0 ] && [ ! -e "$root" ] &&
	   grep -q '^\[fresh\] removed a stale root (3 mount(s) undone first)' "$o/clean.out"; then
		t_ok fresh-clean-stale-root
	else
		t_fail fresh-clean-stale-root "status $RC, root $( [ -e "$root" ] && echo 'still there' || echo gone)"$'\n'"$(cat "$o/clean.out")"
	fi
	if [ -f "$dev/sentinel" ] && [ "$(cat "$dev/sentinel")" = keep ] && [ -d "$dev/shm" ]; then
		t_ok fresh-clean-keeps-mounted-files
	else
		t_fail fresh-clean-keeps-mounted-files "the bind-mounted directory $dev lost its files: $(find "$dev" -mindepth 1 -printf "%P " 2>&1)"
	fi
	if [ -z "$(mounts_under "$o/fresh")" ]; then
		t_ok fresh-clean-no-mount-left
	else
		t_fail fresh-clean-no-mount-left "$(mounts_under "$o/fresh")"
	fi
else
	for n in fresh-clean-stale-root fresh-clean-keeps-mounted-files fresh-clean-no-mount-left; do
		t_ok "$n" "# SKIP mount --bind or tmpfs not allowed here"
	done
fi

# --- bad input ----------------------------------------------------------------

fake=$(t_fake_path "$o/path" debootstrap)
fresh fresh-no-debootstrap PATH="$fake" DEPS_NO_INSTALL=1 --
expect_error fresh-no-debootstrap '^\[deps\] ERROR: missing debootstrap \(package debootstrap\)$'
if [ -e "$root" ]; then
	t_fail fresh-no-debootstrap-nothing-made "$root was made"
fi

# A debootstrap that must not run: the disk is checked before it (and the
# preflight finds one, without installing anything).
mkdir -p "$o/fakebin"
printf '%s\n' '#!/bin/sh' 'echo "fake debootstrap: must not run" >&2' 'exit 99' >"$o/fakebin/debootstrap"
chmod +x "$o/fakebin/debootstrap"
fresh fresh-no-free-disk PATH="$o/fakebin:$PATH" DEPS_NO_INSTALL=1 FRESH_MIN_FREE_GB=100000000 --
expect_error fresh-no-free-disk '^\[fresh\] ERROR: no free disk: [0-9]+ GiB free under .*, the fresh root needs about 100000000 GiB'
if [ -e "$root" ]; then
	t_fail fresh-no-free-disk-nothing-made "$root was made"
fi

# Another run holds the lock: nothing is touched.
mkdir -p "$root/etc"
(exec 9>"$o/fresh/lock" && flock 9 && exec sleep 60) &
holder=$!
for _ in $(seq 50); do
	flock -n "$o/fresh/lock" true 2>/dev/null || break
	sleep 0.1
done
fresh fresh-locked -- --clean
expect_error fresh-locked '^\[fresh\] ERROR: another fresh-check is running in .*: wait for it to end$'
if [ ! -d "$root/etc" ]; then
	t_fail fresh-locked-root-untouched "the root of the running fresh-check was removed"
fi
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
holder=

t_done
