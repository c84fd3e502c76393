# shellcheck shell=bash disable=SC2153
# SC2153: the globals of check.sh (PASSED, FAILED, LINE, O, LOGS, VMTEST, ...).
# SPDX-License-Identifier: GPL-2.0
# Sourced by check.sh: the same suite elsewhere: the debug kernel, the
# arm64 guest, make kselftest-install's tree as a CI system runs it.

# ---------------------------------------------------------------------------
# debug: the after kernel with the kernel's own detectors (DEBUG=1:
# harness/config/debug.config): the whole suite, the stress run and the
# fuzzer, no splat on the console, kmemleak's scan at the end empty

# timeouts_only RESULTS CONSOLE: the failed cases of RESULTS, one a line,
# when every one of them is a kselftest_harness case that ended with "Test
# terminated by timeout" (its 30 s) on CONSOLE; nothing otherwise.
timeouts_only() {
	local tsv=$1 console=$2 name re
	local -a failed

	mapfile -t failed < <(awk -F'\t' '$2 == "FAIL" {print $1}' "$tsv")
	for name in "${failed[@]}"; do
		re=${name#*:}
		re=${re//./\\.}
		tr -d '\r' <"$console" | sed -n "/RUN  *$re \\.\\.\\./,/FAIL  *$re\$/p" |
			grep -q 'Test terminated by timeout' || return 0
	done
	printf '%s\n' "${failed[@]}"
}

# check_debug [KERNEL]: the debug variant of KERNEL (default after; part
# debug, and debug-nested for the RFC's kernel in make check-debug).
check_debug() {
	local which=${1:-after} log opt missing=() console rc=0 p f note='' kb label
	local what="every test passes, no splat on the console"
	local -a slow=() bins=()

	log=$LOGS/check-debug$([ "$which" = after ] || echo "-$which").log
	kb=$O/kbuild/$which-debug
	label="$which-debug kernel"
	[ "$which" != after ] || label="debug kernel"
	echo "check: [debug] $which kernel with KASAN, lockdep, UBSAN, kmemleak, hung-task and lockup detectors (log: $log)"
	DEBUG=1 "$VMTEST" run "$which" >"$log" 2>&1 || rc=$?
	LINE=$(tail -n1 "$log")
	if [[ $LINE != vmtest:* ]]; then
		grep '^\[' "$log" | tail -n 5 | sed 's/^/    /'
		step "$label: build and run" FAIL "no vmtest summary, see $log"
		return
	fi
	read -r p f _ < <(counts "$LINE")
	grep -E '^(FAIL|SKIP) |^\[tests\] ERROR|^    \| ' "$log" | sed 's/^/    /' || true
	# The debug kernel under TCG is several times slower: a stock case that
	# only ran past kselftest_harness's 30 s (and no splat, no other
	# failure) is run once more, its binary alone, and must pass then.
	if [ "$f" -gt 0 ]; then
		mapfile -t slow < <(timeouts_only "$O/results-$which-debug.tsv" "$O/console-$which-debug.log")
	fi
	if [ "$f" -gt 0 ] && [ "${#slow[@]}" -eq "$f" ]; then
		mapfile -t bins < <(printf '%s\n' "${slow[@]%%:*}" | sort -u)
		echo "    ${#slow[@]} case(s) ran past their timeout: ${slow[*]}; running ${bins[*]} again"
		if RUN_NAME=$which-debug-retry T="@($(IFS='|'; echo "${bins[*]}"))" DEBUG=1 \
			"$VMTEST" test "$which" >"$log.retry" 2>&1 &&
		   ! grep -qvF -f <(printf '%s\tPASS\n' "${slow[@]}") \
			<(grep -F -f <(printf '%s\t\n' "${slow[@]}") "$O/results-$which-debug-retry.tsv") &&
		   [ "$(grep -cF -f <(printf '%s\tPASS\n' "${slow[@]}") "$O/results-$which-debug-retry.tsv")" -eq "${#slow[@]}" ]; then
			p=$((p + f)); f=0; rc=0
			note=" (${slow[*]}: past the 30 s timeout on the first run, passed when run again: $(tail -n1 "$log.retry"))"
		else
			note=" (run again, still failing: see $log.retry)"
		fi
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
		step "$label: $what" PASS "$LINE$note"
	else
		step "$label: $what" FAIL "$LINE$note"
	fi
	while read -r opt; do
		grep -qx "$opt" "$kb/.config" 2>/dev/null || missing+=("$opt")
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=y$' "$HARNESS/config/debug.config")
	if [ "${#missing[@]}" -eq 0 ]; then
		step "$label: every =y option of debug.config is in its .config" PASS
	else
		step "$label: every =y option of debug.config is in its .config" FAIL "${missing[*]}"
	fi
	console=$O/console-$which-debug.log
	if grep -q '^vmtest-guest: kmemleak scan' "$console" &&
	   ! grep -q 'unreferenced object' "$console"; then
		step "$label: kmemleak scanned after the tests, nothing suspected" PASS
	else
		step "$label: kmemleak scanned after the tests, nothing suspected" FAIL "see $console"
	fi
	check_programs "$which-debug" PASS
	# The stress and fuzz totals, as the programs printed them.
	grep -E '^# # (notifications handled|replies by kind|calls:|signals:|supervisor restarts|seed |[0-9]+ ioctls checked|nested-stress:)' \
		"$console" | tr -d '\r' | sed 's/^# # /    /' || true
}

# ---------------------------------------------------------------------------
# arch: the same suite in an arm64 guest (ARCH=arm64: LLVM cross build,
# qemu-system-aarch64 -M virt under TCG); make check-arch, not in make check

check_arch() {
	local log=$LOGS/check-arch.log

	echo "check: [arch] the suite in an arm64 guest (log: $log)"
	run_suite "arm64 kernel" "$log" "every stock and new test passes" \
		env ARCH=arm64 "$VMTEST" run after || return 0
	check_programs after-arm64 PASS "$O/kselftest-arm64"
}

# ---------------------------------------------------------------------------
# package: make kselftest-install's tree and tarball, run in the guest as a
# CI system runs a kselftest target: unpacked, ./run_kselftest.sh -t
# seccomp:seccomp_bpf; then seccomp_benchmark with a short fixed count.
# Its own verdicts compare wall-clock timings, which TCG makes meaningless
# (make bench measures, in guest instructions): they are shown, not gated;
# that it ran to the end and reported each of its results is checked.

# The samples of the package step's seccomp_benchmark run.
BENCH_SAMPLES=${BENCH_SAMPLES:-100000}

check_package() {
	local log=$LOGS/check-package.log d=$O/kselftest-install/kselftest f
	local missing=() line want got rc=0 console=$O/console-after-package.log bench results

	echo "check: [package] make kselftest-install, run with run_kselftest.sh (log: $log)"
	if ! "$VMTEST" kselftest-install >"$log" 2>&1; then
		grep '^\[' "$log" | tail -n 5 | sed 's/^/    /'
		step "package: make kselftest-install" FAIL "see $log"
		return
	fi
	for f in run_kselftest.sh kselftest-list.txt kselftest/runner.sh \
		 seccomp/seccomp_bpf seccomp/seccomp_benchmark seccomp/config seccomp/settings; do
		[ -e "$d/$f" ] || missing+=("$f")
	done
	f=$(tar -tzf "$O/kselftest-install/kselftest.tar.gz" 2>&1 || true)
	if ! grep -qx './seccomp/seccomp_bpf' <<<"$f"; then
		missing+=("kselftest.tar.gz with ./seccomp/seccomp_bpf")
	fi
	if [ "${#missing[@]}" -eq 0 ] && grep -qx 'seccomp:seccomp_bpf' "$d/kselftest-list.txt"; then
		step "package: the standard tree and tarball (run_kselftest.sh, list, config, settings)" PASS
	else
		step "package: the standard tree and tarball (run_kselftest.sh, list, config, settings)" FAIL \
			"missing: ${missing[*]:-seccomp:seccomp_bpf in kselftest-list.txt}"
	fi
	RUN_NAME=after-package T='seccomp_bpf' \
		VMTEST_APPEND="vmtest.kselftest-tar=$BENCH_SAMPLES" "$VMTEST" test after >>"$log" 2>&1 || rc=$?
	line=$(tail -n1 "$log")
	want=$(grep -c "^seccomp_bpf:.*$(printf '\t')PASS\$" "$O/results-after.tsv" || true)
	got=$(grep -c "^seccomp_bpf:.*$(printf '\t')PASS\$" "$O/results-after-package.tsv" 2>/dev/null || true)
	if grep -q 'kselftest: Running tests in seccomp' "$console" 2>/dev/null &&
	   [ "$got" -gt 0 ] && [ "$got" = "$want" ] &&
	   ! grep -q "^seccomp_bpf:.*$(printf '\t')[FS]" "$O/results-after-package.tsv"; then
		step "package: run_kselftest.sh -t seccomp:seccomp_bpf in the guest: every seccomp_bpf case passes ($got)" PASS
	else
		step "package: run_kselftest.sh -t seccomp:seccomp_bpf in the guest: every seccomp_bpf case passes" FAIL \
			"$got passed, the harness's own run $want; $line (log: $log)"
	fi
	# seccomp_benchmark: ran to its end (not killed by the guest's timeout
	# 120: exit 124 or 137) and reported its plan's 7 results.
	bench=$(tr -d '\r' <"$console" 2>/dev/null | sed -n 's/^vmtest-bench: exit=//p' | head -n1)
	results=$(tr -d '\r' <"$console" 2>/dev/null | grep -cE '^# seccomp_benchmark: (not )?ok [0-9]+ ' || true)
	tr -d '\r' <"$console" 2>/dev/null | grep -E '^# seccomp_benchmark: (# (getpid|Estimated)|(not )?ok )' |
		sed 's/^# seccomp_benchmark: /    /' || true
	if [ -n "$bench" ] && [ "$bench" != 124 ] && [ "$bench" != 137 ] && [ "$results" -eq 7 ]; then
		step "package: seccomp_benchmark $BENCH_SAMPLES ran to the end and reported its 7 results (exit $bench; timings not gated under TCG)" PASS
	else
		step "package: seccomp_benchmark $BENCH_SAMPLES ran to the end and reported its 7 results" FAIL \
			"exit ${bench:-none}, $results results (console: $console)"
	fi
	# A splat, a QEMU failure or a guest timeout fails the run whatever the
	# counts.
	if grep -q '^\[tests\] ERROR' "$log"; then
		step "package: the guest run ended cleanly" FAIL "$(grep -m1 '^\[tests\] ERROR' "$log")"
	else
		step "package: the guest run ended cleanly (no splat, no guest error)" PASS
	fi
	: "$rc"
}
