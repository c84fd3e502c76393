#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh (make check): prove the series and the RFC, not just run them.
#
#  1. after kernel    every stock test and every new test passes, in the
#                     native and the ia32 build, no skips among the new
#                     tests; each vmtest: program passes; the sample did
#                     what it says; build/results/ valid
#  2. before kernel   the same test binaries in the kernel without the
#                     series: stock tests pass, the tests that need the
#                     flag (CONTINUE_TESTS) SKIP or FAIL, never PASS, the
#                     vmtest: programs SKIP; the sample falls back
#     stock kernel    the same test binaries in mainline's own CONTINUE
#                     (the untouched import): every test passes, no skip
#     nested kernel   the RFC's: every test passes; the differential of the
#                     nested tree's seccomp_bpf (stock: the RFC's tests
#                     skip; nested: they pass; the stock ones pass on both)
#     mutants         each harness/mutants/after/ kernel fails a test by a
#     rfc-mutants     check, unless listed as equivalent (harness/mutate.sh);
#                     the same for harness/mutants/nested/ (the RFC)
#     bench           after/before guest instructions per call on the paths
#                     that do not continue (harness/bench.sh --gate-short)
#     debug           the DEBUG=1 after kernel: suite, stress, fuzz, no
#                     splat, kmemleak's scan empty (debug-nested: the RFC's
#                     kernel, in make check-debug)
#     package         make kselftest-install's tarball in the guest:
#                     ./run_kselftest.sh, seccomp_benchmark with a count
#  3. series, rfc     patches/ and rfc/ as a reviewer receives them: git am
#                     on a fresh base tree, checkpatch --strict, each patch
#                     builds on its own without new warnings, the uapi
#                     header in userspace, Sphinx, get_maintainer
#  4. harness tests   the KTAP parser, results, fault injection, lint
#     arch            (not by default: make check-arch) the arm64 guest
#
# The parts live in harness/check/: kernels.sh (1, 2, stock, nested),
# watchers.sh (mutants, bench), suites.sh (debug, arch, package), series.sh
# (3); this file has the settings, the step helpers, the preflight, part 4
# and main.
# Ends with one line "check: N passed, N failed" (steps plus test cases);
# build/results/check.{ktap,junit.xml,json} have the steps, and the JSON
# each part's time (part_NAME_seconds); each part ends with a line of its
# time and of the kernels it built, with what ccache gave each.
# Parts: check.sh [PART]... (PARTS_ALL below); CHECK_STEPS="base apply
# checkpatch bisect uapi docs maintainers" picks steps of part 3.  Steps of
# part 3 but base and maintainers are cached by the hash of their inputs: a
# re-run with the same stock source, base patch, series and harness redoes
# them only.

set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HARNESS")
O=${O:-$TOP/build}
mkdir -p "$O"
O=$(cd "$O" && pwd)
export O
VMTEST=$HARNESS/vmtest.sh
# The new tests that need the flag (KTAP names without "seccomp_bpf:"): a
# glob.  New tests outside it must pass on both kernels.
CONTINUE_TESTS=${CONTINUE_TESTS:-global.user_notification_continue_*}
# The project's own guest programs (the vmtest: collection), as globs of
# their KTAP leaf names: they need the flag, so PASS on the after kernel
# and SKIP (cleanly, never FAIL) on the before kernel.
PROJECT_TESTS=${PROJECT_TESTS:-"notif-* libseccomp-example* crun-example* nested-fuzz* nested-stress*"}
# The seed of the guest's fuzz and stress programs in every boot of make
# check (nested-fuzz's chains, notif-fuzz's ioctls, the stress programs'
# choices): fixed, so CI runs the same chains each time; VMTEST_SEED=N
# make check runs others (make stress SEED= SCALE= runs longer).
export VMTEST_SEED=${VMTEST_SEED:-20261207}
# The builds of seccomp_bpf that run in the guest: native, compat.
BPF_BUILDS=${BPF_BUILDS:-"seccomp_bpf seccomp_bpf_ia32"}
SCHEMA=$HARNESS/tests/schema/junit.xsd
CHK=$O/check
LOGS=$O/logs
JOBS=${JOBS:-$(nproc)}
# Debian's python3 (with sphinx, ply, git), not one earlier in PATH.
export PATH=/usr/bin:/bin:$PATH
# The commits made here (git am on the fresh tree) have the harness's own
# identity, as in harness/lib/common.sh: no git configuration is needed.
export GIT_AUTHOR_NAME=vmtest GIT_AUTHOR_EMAIL=vmtest@localhost
export GIT_COMMITTER_NAME=vmtest GIT_COMMITTER_EMAIL=vmtest@localhost
mkdir -p "$CHK" "$LOGS"

PASSED=0
FAILED=0
LINE=
START=$(date +%s)
# Every step, as KTAP, for machines: check_results_files turns it into
# build/results/check.{junit.xml,json} at the end.
CHECK_KTAP=$O/results/check.ktap
STEPS=0
mkdir -p "$O/results"
printf 'TAP version 13\n' >"$CHECK_KTAP"

step() {
	local name=$1 verdict=$2 detail=${3:-}

	STEPS=$((STEPS + 1))
	printf '%s %d %s%s\n' "$([ "$verdict" = PASS ] && echo ok || echo 'not ok')" \
		"$STEPS" "${name//#/}" "${detail:+ # ${detail//$'\n'/ }}" >>"$CHECK_KTAP"

	if [ "$verdict" = PASS ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
	fi
	printf 'check: %-4s %s%s (%ss)\n' "$verdict" "$name" "${detail:+: $detail}" \
		"$(( $(date +%s) - START ))"
}

# counts "vmtest: P passed, F failed, S skipped" LINE -> "P F S"
counts() {
	sed -n 's/^vmtest: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' <<<"$1"
}

# ---------------------------------------------------------------------------
# 0. the preflight, before any part: every program that make check calls
# is there (as root, missing packages are installed), or nothing runs.

check_deps() {
	local log=$LOGS/check-deps.log

	if ! VMTEST_CHECK_DEPS=1 "$VMTEST" deps >"$log" 2>&1; then
		grep '^\[deps\]' "$log" | sed 's/^/    /'
		step "deps: every program make check calls is present" FAIL "see $log"
		echo "check: $PASSED passed, $FAILED failed"
		exit 1
	fi
}

# run_suite LABEL LOG WHAT CMD...: run a vmtest command, its output in
# LOG; count its cases into the totals and make the step "LABEL: WHAT" of
# its closing line (kept in LINE): it passes with cases and none failed.
# Returns 1 when there is no closing line.
run_suite() {
	local label=$1 log=$2 what=$3 rc=0 p f

	shift 3
	"$@" >"$log" 2>&1 || rc=$?
	LINE=$(tail -n1 "$log")
	if [[ $LINE != vmtest:* ]]; then
		grep '^\[' "$log" | tail -n 5 | sed 's/^/    /'
		step "$label: build and run" FAIL "no vmtest summary, see $log"
		return 1
	fi
	read -r p f _ < <(counts "$LINE")
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	grep -E '^(FAIL|SKIP) |^\[tests\] ERROR|^    \| ' "$log" | sed 's/^/    /' || true
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
		step "$label: $what" PASS "$LINE"
	else
		step "$label: $what" FAIL "$LINE"
	fi
}

# ---------------------------------------------------------------------------
# 4. the harness's own tests

check_harness() {
	local out line p f

	echo "check: [4] harness tests (log: $LOGS/check-harness.log)"
	"$HARNESS/tests/run.sh" >"$LOGS/check-harness.log" 2>&1 || true
	grep -E '^not ok' "$LOGS/check-harness.log" | sed 's/^/    /' || true
	line=$(tail -n1 "$LOGS/check-harness.log")
	if [[ $line =~ ^harness-tests:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
		PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
		if [ "$f" -eq 0 ]; then
			step "harness tests" PASS "$line"
		else
			step "harness tests" FAIL "$line"
		fi
	else
		step "harness tests" FAIL "no summary, see $LOGS/check-harness.log"
	fi
}

# build/results/check.{ktap,junit.xml,json}: one case per step (the
# steps, not the test cases the closing line also counts).
check_results_files() {
	printf '1..%d\n' "$STEPS" >>"$CHECK_KTAP"
	python3 "$HARNESS/ktap.py" --prefix check --junit "$O/results/check.junit.xml" \
		--json "$O/results/check.json" --meta "passed_with_cases=$PASSED" \
		--meta "failed_with_cases=$FAILED" --meta "seconds=$(( $(date +%s) - START ))" \
		"${PART_META[@]}" \
		"$CHECK_KTAP" >/dev/null || true
}

# The kernels (harness/config/kernels.sh: kernel_field).
# shellcheck source=harness/config/kernels.sh
source "$HARNESS/config/kernels.sh"

# The parts, one file a job (harness/check/).
# shellcheck source=harness/check/kernels.sh
source "$HARNESS/check/kernels.sh"
# shellcheck source=harness/check/series.sh
source "$HARNESS/check/series.sh"
# shellcheck source=harness/check/watchers.sh
source "$HARNESS/check/watchers.sh"
# shellcheck source=harness/check/suites.sh
source "$HARNESS/check/suites.sh"

# run_part PART: one part, timed: "check: part PART: Ns; built: ..." (the
# kernels it built, with what ccache gave each: the .summary files that
# harness/lib/kernel.sh and mutate.sh write), and the time in
# build/results/check.json (part_PART_seconds).
PART_META=()
run_part() {
	local part=$1 t0 secs f built=()

	t0=$(date +%s)
	touch "$CHK/.part-start"
	case "$part" in
	after) check_after ;;
	before) check_before ;;
	stock) check_stock ;;
	series) check_series after ;;
	rfc) check_series nested ;;
	nested) check_nested ;;
	mutants) check_mutants after ;;
	rfc-mutants) check_mutants nested ;;
	bench) check_bench ;;
	debug) check_debug after ;;
	debug-nested) check_debug nested ;;
	arch) check_arch ;;
	package) check_package ;;
	harness) check_harness ;;
	*) echo "usage: $0 [$PARTS_ALL]..." >&2; exit 2 ;;
	esac
	secs=$(( $(date +%s) - t0 ))
	for f in "$LOGS"/ccache-*.summary; do
		[ -f "$f" ] && [ "$f" -nt "$CHK/.part-start" ] && built+=("$(cat "$f")")
	done
	echo "check: part $part: ${secs}s$( [ "${#built[@]}" -eq 0 ] || printf '; built: %s' "$(IFS=';'; echo "${built[*]}")")"
	PART_META+=(--meta "part_${part}_seconds=$secs")
}

PARTS_DEFAULT="after before stock nested mutants rfc-mutants bench debug package series rfc harness"
PARTS_ALL="$PARTS_DEFAULT debug-nested arch"

main() {
	local -a parts=("${@:-$PARTS_DEFAULT}")

	check_deps
	# shellcheck disable=SC2068
	for part in ${parts[@]}; do
		run_part "$part"
	done
	check_results_files
	[ -z "${FUZZ_SUMMARY:-}" ] || echo "check: nested-fuzz: $FUZZ_SUMMARY"
	echo "check: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

NEW=()
main "$@"; exit
