# shellcheck shell=bash disable=SC2153
# SC2153: the globals of check.sh (PASSED, FAILED, LINE, O, LOGS, VMTEST, ...).
# SPDX-License-Identifier: GPL-2.0
# Sourced by check.sh: is each decision and each path watched?  The
# mutants (harness/mutate.sh) and the short bench gate.

# ---------------------------------------------------------------------------
# mutants: each decision of a kernel patch is watched by a test
# (harness/mutate.sh; needs the kernel's part: its kernel, test binaries
# and results): check_mutants after (part mutants: patches/), nested (part
# rfc-mutants: rfc/)

check_mutants() {
	local kernel=${1:-after} log rc=0 line k s e f label

	log=$LOGS/check-mutants$([ "$kernel" = after ] || echo "-$kernel").log
	label=mutants
	[ "$kernel" = after ] || label="$kernel mutants"
	echo "check: [$label] each decision of the $kernel kernel's kernel/seccomp.c is watched by a test (log: $log)"
	"$HARNESS/mutate.sh" "$kernel" >"$log" 2>&1 || rc=$?
	sed -n '/^mutant  /,/^mutants: [0-9]/p' "$log" | sed '$d; s/^/    /'
	line=$(tail -n1 "$log")
	if [[ $line =~ ^mutants:\ ([0-9]+)\ killed,\ ([0-9]+)\ survived,\ ([0-9]+)\ equivalent,\ ([0-9]+)\ failed ]]; then
		k=${BASH_REMATCH[1]}; s=${BASH_REMATCH[2]}; e=${BASH_REMATCH[3]}; f=${BASH_REMATCH[4]}
		PASSED=$((PASSED + k + e)); FAILED=$((FAILED + s + f))
	else
		grep 'ERROR' "$log" | sed 's/^/    /' || true
	fi
	if [ "$rc" -eq 0 ] && [[ $line == mutants:* ]]; then
		step "$label: every mutant of kernel/seccomp.c is killed, by a check, or listed as equivalent" PASS "$line"
	else
		step "$label: every mutant of kernel/seccomp.c is killed, by a check, or listed as equivalent" FAIL "${line:-no summary}, see $log"
	fi
}

# ---------------------------------------------------------------------------
# bench: the short exact-mode gate (harness/bench.sh --gate-short): the
# after, before, stock and nested kernels, guest instructions per getppid:
# after/before within 1.000 +- 0.005 on the paths that do not continue,
# after/stock within 1.00 +- 0.01 on continue, nested/stock within 1.000
# +- 0.005 on all of them (the RFC without its flag costs nothing).  Needs
# the kernels of the parts after, before, stock and nested.

check_bench() {
	local log=$LOGS/check-bench.log line
	local what="bench: after/before, after/stock and nested/stock guest instructions per call within their bands (exact mode)"

	echo "check: [bench] a path costs what it did, and the RFC without its flag what stock does (log: $log)"
	if "$HARNESS/bench.sh" --gate-short >"$log" 2>&1; then
		line=$(grep -m1 '^bench: gates' "$log" || tail -n1 "$log")
		grep -E '^\|' "$O/bench/gate-short.md" 2>/dev/null | sed 's/^/    /' || true
		step "$what" PASS "$line"
	else
		grep -E '^gate: FAIL|ERROR' "$log" | head -n 20 | sed 's/^/    /' || true
		step "$what" FAIL "$(grep -m1 '^bench: gates' "$log" || echo "see $log")"
	fi
}
