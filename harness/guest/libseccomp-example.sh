#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The checks of examples/libseccomp/supervisor.c, in the guest (busybox sh,
# as root), as KTAP: run_kselftest.sh runs this as vmtest:libseccomp-example.
# Each case runs busybox mknod as nobody under the supervisor and checks
# both its verdict (stderr) and what is on disk afterwards.  SKIP on a
# kernel without SECCOMP_USER_NOTIF_CONTINUE.

sup=${SUPERVISOR:-/usr/bin/libseccomp-supervisor}
d=/tmp/libseccomp-example
n=0
failed=0

# case NAME RESULT [DIAGNOSTIC]: one KTAP result line.
case_result() {
	n=$((n + 1))
	if [ "$2" = ok ]; then
		echo "ok $n $1"
	else
		echo "# $1: $3"
		echo "not ok $n $1"
		failed=$((failed + 1))
	fi
}

# expect NAME WANT-RC VERDICT CHECK -- CMD...: run CMD under the supervisor
# as nobody; pass if its status is WANT-RC (0 or "!0"), the supervisor's
# log says VERDICT and the shell test CHECK holds.
expect() {
	name=$1 want=$2 verdict=$3 check=$4
	shift 5
	out=$("$sup" -- "$@" 2>&1)
	rc=$?
	if [ "$want" = 0 ] && [ "$rc" -ne 0 ]; then
		case_result "$name" fail "exit $rc, want 0: $out"
	elif [ "$want" != 0 ] && [ "$rc" -eq 0 ]; then
		case_result "$name" fail "exit 0, want a failure: $out"
	elif ! echo "$out" | grep -q -- "-> $verdict"; then
		case_result "$name" fail "no '-> $verdict' in: $out"
	elif ! eval "$check"; then
		case_result "$name" fail "'$check' is false; supervisor said: $out"
	else
		case_result "$name" ok
	fi
}

owner() { stat -c %u:%g "$1" 2>/dev/null; }

if ! { rm -rf "$d" && mkdir -p "$d/mine" "$d/roots" &&
	chown 65534:65534 "$d/mine" && chmod 755 "$d/roots"; }; then
	echo "1..0 # SKIP cannot set up $d"
	exit 4
fi

echo "TAP version 13"
out=$("$sup" -- mknod "$d/mine/probe" p 2>&1)
if echo "$out" | grep -q "cannot continue"; then
	echo "1..0 # SKIP kernel without SECCOMP_USER_NOTIF_CONTINUE: $out"
	exit 4
fi
rm -f "$d/mine/probe"
echo "1..6"
# The checks are evaluated by expect(), after the command ran.
# shellcheck disable=SC2016
{
expect continue_fifo 0 continue \
	'[ -p "$d/mine/fifo" ] && [ "$(owner "$d/mine/fifo")" = 65534:65534 ]' \
	-- mknod "$d/mine/fifo" p
expect continue_kernel_checks '!0' continue \
	'[ ! -e "$d/roots/fifo" ] && echo "$out" | grep -q "Permission denied"' \
	-- mknod "$d/roots/fifo" p
expect emulate_null 0 emulate \
	'[ -c "$d/mine/null" ] && [ "$(stat -c %t:%T "$d/mine/null")" = 1:3 ] && [ "$(owner "$d/mine/null")" = 65534:65534 ]' \
	-- mknod "$d/mine/null" c 1 3
expect emulate_as_the_task '!0' "emulate EACCES" \
	'[ ! -e "$d/roots/null" ]' \
	-- mknod "$d/roots/null" c 1 3
expect emulate_relative_to_cwd 0 emulate \
	'[ -c "$d/mine/zero" ] && [ "$(stat -c %t:%T "$d/mine/zero")" = 1:5 ]' \
	-- sh -c "cd $d/mine && mknod zero c 1 5"
expect refuse_block '!0' "refuse EPERM" \
	'[ ! -e "$d/mine/sda" ] && echo "$out" | grep -q "Operation not permitted"' \
	-- mknod "$d/mine/sda" b 8 0
}

echo "# Totals: pass:$((n - failed)) fail:$failed"
[ "$failed" -eq 0 ]
