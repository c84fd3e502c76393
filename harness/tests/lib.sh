# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Tiny test library for harness/tests/t-*.sh (source it, then call t_done
# last).  Every helper reports one test case as "ok - NAME" or
# "not ok - NAME: MSG", details following as "#   " lines.  All helpers are
# safe under "set -euo pipefail": a failing command fails the case, not the
# script.

T_PASSED=0
T_FAILED=0

# t_ok NAME [NOTE]: report a passing case (NOTE e.g. "# SKIP no tool").
t_ok() {
	T_PASSED=$((T_PASSED + 1))
	printf 'ok - %s%s\n' "$1" "${2:+ $2}"
}

# t_fail NAME [MSG]: report a failing case; lines of MSG after the first
# are printed as details.
t_fail() {
	local msg=${2:-failed}
	T_FAILED=$((T_FAILED + 1))
	printf 'not ok - %s: %s\n' "$1" "${msg%%$'\n'*}"
	if [[ $msg == *$'\n'* ]]; then
		printf '%s\n' "${msg#*$'\n'}" | sed 's/^/#   /'
	fi
}

# t_check NAME CMD...: ok if CMD exits 0.
t_check() {
	local name=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [[ $rc -eq 0 ]]; then
		t_ok "$name"
	else
		t_fail "$name" "exit status $rc from: $*"$'\n'"$out"
	fi
}

# t_expect_status NAME STATUS CMD...: ok if CMD exits with STATUS.
t_expect_status() {
	local name=$1 want=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [[ $rc -eq $want ]]; then
		t_ok "$name"
	else
		t_fail "$name" "exit status $rc, expected $want: $*"$'\n'"$out"
	fi
}

# _t_diff EXPECTED ACTUAL: print a diff of two strings.
_t_diff() {
	diff -u --label expected --label actual \
		<(printf '%s\n' "$1") <(printf '%s\n' "$2") || true
}

# t_expect_output NAME EXPECTED CMD...: ok if CMD's stdout is EXPECTED
# (trailing newlines ignored, exit status not checked).
t_expect_output() {
	local name=$1 want=$2 out
	shift 2
	out=$("$@") || true
	if [[ $out == "$want" ]]; then
		t_ok "$name"
	else
		t_fail "$name" "unexpected output from: $*"$'\n'"$(_t_diff "$want" "$out")"
	fi
}

# t_expect_run NAME STATUS EXPECTED CMD...: ok if CMD exits with STATUS
# and its stdout is EXPECTED.
t_expect_run() {
	local name=$1 want_rc=$2 want=$3 out rc=0
	shift 3
	out=$("$@") || rc=$?
	if [[ $rc -ne $want_rc ]]; then
		t_fail "$name" "exit status $rc, expected $want_rc: $*"$'\n'"$out"
	elif [[ $out != "$want" ]]; then
		t_fail "$name" "unexpected output from: $*"$'\n'"$(_t_diff "$want" "$out")"
	else
		t_ok "$name"
	fi
}

# t_expect_file NAME EXPECTED FILE: ok if FILE's content is EXPECTED
# (trailing newlines ignored).
t_expect_file() {
	local name=$1 want=$2 file=$3 got
	if [[ ! -f $file ]]; then
		t_fail "$name" "no file $file"
		return 0
	fi
	got=$(<"$file")
	if [[ $got == "$want" ]]; then
		t_ok "$name"
	else
		t_fail "$name" "unexpected content of $file"$'\n'"$(_t_diff "$want" "$got")"
	fi
}

# t_done: last command of a t-*.sh; its status is non-zero if a case failed.
t_done() {
	[[ $T_FAILED -eq 0 ]]
}

# t_fake_path DIR PROGRAM...: make DIR a PATH with every program of
# /usr/local/bin, /usr/bin, /usr/sbin, /bin and /sbin but the PROGRAMs
# (symbolic links), and print DIR.
t_fake_path() {
	local dir=$1 f name
	local -A drop=()

	shift
	for name in "$@"; do
		drop[$name]=1
	done
	mkdir -p "$dir"
	for f in /usr/local/bin/* /usr/bin/* /usr/sbin/* /bin/* /sbin/*; do
		name=${f##*/}
		if [ -e "$f" ] && [ -z "${drop[$name]:-}" ] && [ ! -e "$dir/$name" ]; then
			ln -s "$f" "$dir/$name"
		fi
	done
	echo "$dir"
}

# run_as NAME DIR SCRIPT ENV... -- ARGS: run SCRIPT with ENV and ARGS, its
# output in DIR/NAME.out, its exit status in RC.
run_as() {
	local name=$1 dir=$2 script=$3
	local -a envs=()

	shift 3
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	RC=0
	env "${envs[@]}" "$script" "$@" >"$dir/$name.out" 2>&1 </dev/null || RC=$?
}

# expect_failure OUT NAME PATTERN SUMMARY: the last run (RC, output OUT)
# failed, said PATTERN, and did not end in a passing SUMMARY line.
expect_failure() {
	local out=$1 name=$2 pattern=$3 summary=$4

	if [ "$RC" -eq 0 ]; then
		t_fail "$name" "exit status 0"$'\n'"$(tail -n 20 "$out")"
	elif ! grep -qE -- "$pattern" "$out"; then
		t_fail "$name" "no line matching '$pattern'"$'\n'"$(tail -n 20 "$out")"
	elif grep -qE "$summary" "$out"; then
		t_fail "$name" "ended in a passing summary"
	else
		t_ok "$name"
	fi
}
