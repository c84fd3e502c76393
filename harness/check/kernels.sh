# shellcheck shell=bash disable=SC2153
# SC2153: the globals of check.sh (PASSED, FAILED, LINE, O, LOGS, VMTEST, ...).
# SPDX-License-Identifier: GPL-2.0
# Sourced by check.sh: parts 1 (after) and 2 (before), and the helpers
# that judge a run: the new tests, the project's guest programs, the
# files of build/results/, the sample's output.

# ---------------------------------------------------------------------------
# The tests the series adds: TEST/TEST_F names in the after tree's
# seccomp_bpf.c that the before tree does not have.

# (TEST and TEST_SIGNAL are "global.NAME", TEST_F* "FIXTURE.NAME"; the
# names of fixture variants are not in the source: compare sets of names
# taken the same way, or take them from a run, as check_nested does.)
test_names() {
	sed -n -E 's/^TEST(_SIGNAL)?\(([A-Za-z0-9_]+).*/global.\2/p;
		s/^TEST_F(_SIGNAL|_TIMEOUT)?\(([A-Za-z0-9_]+), *([A-Za-z0-9_]+).*/\2.\3/p' "$1" | sort -u
}

load_new() {
	mapfile -t NEW < <(comm -13 \
		<(test_names "$O/trees/before/tools/testing/selftests/seccomp/seccomp_bpf.c") \
		<(test_names "$O/trees/after/tools/testing/selftests/seccomp/seccomp_bpf.c"))
}

# is_project LEAF: a leaf of one of the project's guest programs?
is_project() {
	local glob
	local -a globs

	read -ra globs <<<"$PROJECT_TESTS"
	for glob in "${globs[@]}"; do
		# shellcheck disable=SC2053 # a glob match is meant
		[[ $1 == $glob ]] && return 0
	done
	return 1
}

# project_programs LIST: the project's programs the guest ran, the
# vmtest:NAME entries of its kselftest-list.txt.
project_programs() {
	sed -n 's/^vmtest://p' "$1" 2>/dev/null
}

# check_programs KERNEL WANT [KST_DIR]: each project program's leaves in
# results-KERNEL.tsv are all WANT (PASS or SKIP), and there are some.
# KST_DIR: the arch's build/kselftest*/ (default build/kselftest).
check_programs() {
	local which=$1 want=$2 list=${3:-$O/kselftest}/guest/kselftest-list.txt
	local prog progs leaves bad

	progs=$(project_programs "$list")
	if [ -z "$progs" ]; then
		step "$which kernel: the vmtest: programs ran" FAIL "none in $list"
		return
	fi
	for prog in $progs; do
		leaves=$(grep -E "^$prog(:|$(printf '\t'))" "$O/results-$which.tsv" || true)
		bad=$(grep -v "$(printf '\t')$want\$" <<<"$leaves" | cut -f1 | tr '\n' ' ' || true)
		bad=${bad%% }
		bad=${bad## }
		if [ -n "$leaves" ] && [ -z "$bad" ]; then
			step "$which kernel: vmtest:$prog: all $(wc -l <<<"$leaves") case(s) $want" PASS
		else
			step "$which kernel: vmtest:$prog: all case(s) $want" FAIL "${bad:-never ran}"
		fi
	done
}

# check_results KERNEL LINE: build/results/ has the run's KTAP, a JUnit
# file valid against the schema and a JSON summary whose counts are the
# closing line's.
check_results() {
	local which=$1 line=$2 r=$O/results/$1 got err

	got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("vmtest: %d passed, %d failed, %d skipped" % (d["passed"], d["failed"], d["skipped"]))' \
		"$r.json" 2>&1) || true
	if [ ! -s "$r.ktap" ] || ! head -n1 "$r.ktap" | grep -q 'TAP version'; then
		err="$r.ktap missing or not KTAP"
	elif ! err=$(xmllint --noout --schema "$SCHEMA" "$r.junit.xml" 2>&1); then
		err="JUnit invalid: $(head -n2 <<<"$err" | tr '\n' ' ')"
	elif [ "$got" != "$line" ]; then
		err="JSON says '$got'"
	else
		err=
	fi
	if [ -z "$err" ]; then
		step "$which kernel: build/results/$which.{ktap,junit.xml,json}: valid, same counts" PASS
	else
		step "$which kernel: build/results/$which.{ktap,junit.xml,json}: valid, same counts" FAIL "$err"
	fi
}

# ---------------------------------------------------------------------------
# 1. after kernel

check_after() {
	local line

	echo "check: [1] after kernel: make vmtest (log: $LOGS/check-after.log)"
	run_suite "after kernel" "$LOGS/check-after.log" "every stock and new test passes" \
		env VMTEST_APPEND="vmtest.sample=1" "$VMTEST" run after || return 0
	line=$LINE
	check_new_ran after
	check_programs after PASS
	check_results after "$line"
	# The worker's mount of /dev/sda is continued and the kernel refuses
	# it (the worker is uid 1000): with the flag ignored, it would
	# "succeed" and the worker exit 1.
	check_sample after "$O/console-after.log" "vmtest-sample: exit=0" "!$SAMPLE_FALLBACK"
}

# check_new_ran KERNEL: in each build of seccomp_bpf, every new test ran,
# and none skipped.
check_new_ran() {
	local which=$1 b ran skipped_new

	load_new
	for b in $BPF_BUILDS; do
		skipped_new=$(grep -F -f <(printf "$b:%s\tSKIP\n" "${NEW[@]}") \
			"$O/results-$which.tsv" | cut -f1 | tr '\n' ' ' || true)
		ran=$(grep -cF -f <(printf "$b:%s\t\n" "${NEW[@]}") "$O/results-$which.tsv" || true)
		if [ "${#NEW[@]}" -gt 0 ] && [ "$ran" -eq "${#NEW[@]}" ] && [ -z "$skipped_new" ]; then
			step "$which kernel: $b: no skip among the ${#NEW[@]} new tests" PASS
		else
			step "$which kernel: $b: no skip among the ${#NEW[@]} new tests" FAIL \
				"${skipped_new:-$ran of ${#NEW[@]} new tests ran}"
		fi
	done
}

# ---------------------------------------------------------------------------
# stock kernel: the same test binaries in the untouched import, mainline's
# own CONTINUE (the same ABI): every test passes, the series' new ones
# included.  A new test that fails there asserts something that mainline
# does not do.

check_stock() {
	echo "check: [2] stock kernel: same tests, mainline's CONTINUE (log: $LOGS/check-stock.log)"
	run_suite "stock kernel" "$LOGS/check-stock.log" \
		"every test passes, the series' new tests included" \
		env VMTEST_APPEND="vmtest.sample=1" "$VMTEST" run stock || return 0
	check_new_ran stock
	check_programs stock PASS
	check_results stock "$LINE"
	check_sample stock "$O/console-stock.log" "vmtest-sample: exit=0" "!$SAMPLE_FALLBACK"
	check_fuzz stock "$LOGS/check-stock.log" "no flags"
}

# check_fuzz KERNEL LOG MODE: vmtest:nested-fuzz (harness/guest/nested-fuzz.c)
# compared the model of harness/guest/nested-model.h with KERNEL in MODE
# ("no flags": the stock decision; "flags": flags at random, the nested
# decision) and found no difference; its pass/fail is check_programs'.
check_fuzz() {
	local which=$1 log=$2 mode=$3 sum

	sum=$(tr -d '\r' <"$log" | sed -n 's/^# # nested-fuzz: \(.*\)$/\1/p' | tail -n1)
	if [[ $sum == *", $mode)" && $sum == *" 0 differences,"* ]]; then
		FUZZ_SUMMARY+="${FUZZ_SUMMARY:+; }$which: ${sum%%, 0 differences*}"
		step "$which kernel: nested-fuzz: the model's decision is the kernel's ($mode): ${sum%% (seed*}" PASS
	else
		step "$which kernel: nested-fuzz: the model's decision is the kernel's ($mode)" FAIL \
			"${sum:-no summary line} (log: $log)"
	fi
}

# ---------------------------------------------------------------------------
# nested kernel: the RFC (rfc/) on the stock tree, and its differential.
# The nested tree's seccomp_bpf (the stock tests and the RFC's) runs as
# seccomp_bpf_nested on the stock kernel (part stock) and on the nested one
# (suites in harness/config/kernels.sh): on stock, every stock test passes
# and every test the RFC adds skips; on nested, the same stock tests pass
# (the same set) and every new one passes.  The series' tests (the after
# tree's seccomp_bpf) pass on both: the ABI of CONTINUE is the same.

# rfc_verdicts KERNEL LIST VERDICT: the names of LIST (one per line, without
# "seccomp_bpf_nested:") whose verdict in results-KERNEL.tsv is not
# VERDICT (or that did not run), one per line.
rfc_verdicts() {
	local which=$1 list=$2 want=$3

	comm -23 <(sort -u <<<"$list") \
		<(sed -n "s/^seccomp_bpf_nested:\(.*\)$(printf '\t')$want\$/\1/p" "$O/results-$which.tsv" | sort -u)
}

# stock_ran KERNEL NEW: the cases of seccomp_bpf_nested that ran on KERNEL
# (fixture variants included), but for the RFC's tests NEW, one per line.
stock_ran() {
	comm -23 <(sed -n 's/^seccomp_bpf_nested:\([^\t]*\)\t.*/\1/p' "$O/results-$1.tsv" | sort -u) \
		<(sort -u <<<"$2")
}

check_nested() {
	local stock_tests rfc_new bad n which

	echo "check: [nested] the RFC's kernel: the stock tests, the RFC's and the series' (log: $LOGS/check-nested.log)"
	run_suite "nested kernel" "$LOGS/check-nested.log" \
		"every stock, RFC and series test passes" "$VMTEST" run nested || return 0
	check_programs nested PASS
	check_results nested "$LINE"
	rfc_new=$(comm -13 \
		<(test_names "$O/trees/stock/tools/testing/selftests/seccomp/seccomp_bpf.c") \
		<(test_names "$O/trees/nested/tools/testing/selftests/seccomp/seccomp_bpf.c"))
	n=$(grep -c . <<<"$rfc_new" || true)
	if [ "$n" -eq 0 ]; then
		step "nested kernel: the RFC adds tests to seccomp_bpf" FAIL "none in the nested tree"
		return
	fi
	if [ ! -s "$O/results-stock.tsv" ]; then
		step "stock kernel: seccomp_bpf_nested ran" FAIL "no results: run part stock"
		return
	fi
	# The stock tests: what ran on the stock kernel, variants included.
	stock_tests=$(stock_ran stock "$rfc_new")
	if [ "$(stock_ran nested "$rfc_new")" = "$stock_tests" ]; then
		step "nested kernel: seccomp_bpf_nested: the same $(grep -c . <<<"$stock_tests") stock tests ran as on stock" PASS
	else
		step "nested kernel: seccomp_bpf_nested: the same stock tests ran as on stock" FAIL \
			"$(diff <(echo "$stock_tests") <(stock_ran nested "$rfc_new") | grep '^[<>]' | tr '\n' ' ')"
	fi
	for which in stock nested; do
		bad=$(rfc_verdicts "$which" "$stock_tests" PASS | tr '\n' ' ')
		if [ -z "$bad" ]; then
			step "$which kernel: seccomp_bpf_nested: the $(grep -c . <<<"$stock_tests") stock tests pass" PASS
		else
			step "$which kernel: seccomp_bpf_nested: the stock tests pass" FAIL "$bad"
		fi
	done
	bad=$(rfc_verdicts stock "$rfc_new" SKIP | tr '\n' ' ')
	if [ -z "$bad" ]; then
		step "stock kernel: seccomp_bpf_nested: the RFC's $n new tests skip" PASS
	else
		step "stock kernel: seccomp_bpf_nested: the RFC's $n new tests skip" FAIL "$bad"
	fi
	bad=$(rfc_verdicts nested "$rfc_new" PASS | tr '\n' ' ')
	if [ -z "$bad" ]; then
		step "nested kernel: seccomp_bpf_nested: the RFC's $n new tests pass" PASS
	else
		step "nested kernel: seccomp_bpf_nested: the RFC's $n new tests pass" FAIL "$bad"
	fi
	check_new_ran nested
	check_fuzz nested "$LOGS/check-nested.log" flags
}

# check_sample KERNEL CONSOLE LINE...: the guest ran the sample
# samples/seccomp/user-trap (see harness/guest/init); every LINE must be
# among what it printed, whatever the order, and no line may contain a
# LINE given as "!TEXT".
check_sample() {
	local which=$1 console=$2 got want missing=()

	shift 2
	got=$(sed -n '/^vmtest-sample: begin/,/^vmtest-sample: end/p' "$console" | tr -d '\r')
	sed '1d;$d' <<<"$got" | sed 's/^/    /'
	for want in "$@"; do
		if [[ $want == !* ]]; then
			! grep -qF -- "${want#!}" <<<"$got" || missing+=("no '${want#!}'")
		else
			grep -qxF -- "$want" <<<"$got" || missing+=("$want")
		fi
	done
	if [ -n "$got" ] && [ "${#missing[@]}" -eq 0 ]; then
		step "$which kernel: the sample user-trap did what it says ($# lines)" PASS
	else
		step "$which kernel: the sample user-trap did what it says ($# lines)" FAIL \
			"missing: $(printf "'%s' " "${missing[@]:-the sample never ran}")(console: $console)"
	fi
}

# The continue-reply's fallback line of user-trap.
SAMPLE_FALLBACK="kernel lacks SECCOMP_USER_NOTIF_CONTINUE, replying EPERM"

# ---------------------------------------------------------------------------
# 2. before kernel: the differential

check_before() {
	local line name verdict before after stock_bad=0 ok=0 bad=0 expect
	declare -A isnew=() aft=()

	echo "check: [2] before kernel: same tests, kernel without the series (log: $LOGS/check-before.log)"
	VMTEST_APPEND="vmtest.sample=1" "$VMTEST" run before >"$LOGS/check-before.log" 2>&1 || true
	line=$(tail -n1 "$LOGS/check-before.log")
	if [[ $line != vmtest:* ]] || [ ! -s "$O/results-before.tsv" ]; then
		grep '^\[' "$LOGS/check-before.log" | tail -n 5
		step "before kernel: build and run" FAIL "no vmtest summary, see $LOGS/check-before.log"
		return
	fi
	echo "    before kernel: $line"
	load_new
	local b
	for name in "${NEW[@]}"; do
		for b in $BPF_BUILDS; do
			isnew[$b:$name]=1
		done
	done
	while IFS=$'\t' read -r name verdict; do
		aft[$name]=$verdict
	done <"$O/results-after.tsv"

	printf '    %-68s %-6s %-6s %s\n' "new test" before after expectation
	while IFS=$'\t' read -r name before; do
		after=${aft[$name]:-none}
		if is_project "$name"; then
			# Checked per program below.
			continue
		fi
		if [ -z "${isnew[$name]:-}" ]; then
			# A stock test: must pass on both kernels.
			if [ "$before" = PASS ]; then
				ok=$((ok + 1))
			else
				bad=$((bad + 1)); stock_bad=$((stock_bad + 1))
				printf '    %-68s %-6s %-6s %s\n' "$name" "$before" "$after" "stock: PASS  <-- FAILED"
			fi
			continue
		fi
		# shellcheck disable=SC2053 # a glob match is meant
		if [[ ${name#*:} == $CONTINUE_TESTS ]]; then
			expect="SKIP or FAIL"
			[ "$before" != PASS ] && verdict=ok || verdict=bad
		else
			expect="PASS"
			[ "$before" = PASS ] && verdict=ok || verdict=bad
		fi
		if [ "$verdict" = ok ]; then
			ok=$((ok + 1))
			printf '    %-68s %-6s %-6s %s\n' "$name" "$before" "$after" "$expect"
		else
			bad=$((bad + 1))
			printf '    %-68s %-6s %-6s %s\n' "$name" "$before" "$after" "$expect  <-- FAILED"
		fi
	done <"$O/results-before.tsv"
	PASSED=$((PASSED + ok))
	FAILED=$((FAILED + bad))
	if [ "$stock_bad" -eq 0 ]; then
		step "before kernel: every stock test passes" PASS
	else
		step "before kernel: every stock test passes" FAIL "$stock_bad stock test(s) did not pass"
	fi
	if [ "$bad" -eq "$stock_bad" ]; then
		step "before kernel: no $CONTINUE_TESTS test passes, the other new ones do" PASS
	else
		step "before kernel: no $CONTINUE_TESTS test passes, the other new ones do" FAIL "$((bad - stock_bad)) new test(s) off"
	fi
	if grep -q '^\[tests\] ERROR' "$LOGS/check-before.log"; then
		step "before kernel: the guest run ended cleanly" FAIL "$(grep -m1 '^\[tests\] ERROR' "$LOGS/check-before.log")"
	else
		step "before kernel: the guest run ended cleanly (no splat, no guest error)" PASS
	fi
	check_programs before SKIP
	check_results before "$line"
	check_sample before "$O/console-before.log" "vmtest-sample: exit=0" "$SAMPLE_FALLBACK"
}
