#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh (make check): prove the series, not just run it.
#
#  1. after kernel    every stock test and every new test passes, no skips
#                     among the new tests; the sample did what it says
#  2. before kernel   the same test binaries in the kernel without the
#                     series: stock tests pass, the tests that need the
#                     flag (CONTINUE_TESTS) SKIP or FAIL, never PASS; the
#                     sample finds the flag missing and falls back
#     mutants         each harness/mutants/ kernel fails a test, unless
#                     listed as equivalent (harness/mutate.sh)
#  3. the series      git am on a fresh before tree, checkpatch --strict,
#                     each patch builds on its own without new warnings,
#                     the uapi header in userspace, Sphinx, get_maintainer
#  4. harness tests   the KTAP parser and fault injection
#
# Ends with one line "check: N passed, N failed" (steps plus test cases).
# Parts: check.sh [after|before|mutants|series|harness]...; CHECK_STEPS="base apply
# checkpatch bisect uapi docs maintainers" picks steps of part 3.
# Steps of part 3 but base and maintainers are cached by the hash of their
# inputs: a re-run with the same stock source, base patch, series and
# harness redoes only parts 1, 2, the mutants and 4, and those two.

# The steps of part 3 are called through cached().
# shellcheck disable=SC2317
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
PROJECT_TESTS=${PROJECT_TESTS:-"notif-* libseccomp-example*"}
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
# The tests the series adds: TEST/TEST_F names in the after tree's
# seccomp_bpf.c that the before tree does not have.

test_names() {
	sed -n -E 's/^TEST(_SIGNAL|_F|_F_SIGNAL|_F_TIMEOUT)?\(([a-z0-9_]+)(, *([a-z0-9_]+))?.*/\2 \4/p' "$1" |
		awk '{ if ($2 != "") print $1 "." $2; else print "global." $1 }' | sort -u
}

load_new() {
	mapfile -t NEW < <(comm -13 \
		<(test_names "$O/trees/before/tools/testing/selftests/seccomp/seccomp_bpf.c") \
		<(test_names "$O/trees/after/tools/testing/selftests/seccomp/seccomp_bpf.c"))
}

# is_project LEAF: a leaf of one of the project's guest programs?
is_project() {
	local glob

	for glob in $PROJECT_TESTS; do
		# shellcheck disable=SC2053 # a glob match is meant
		[[ $1 == $glob ]] && return 0
	done
	return 1
}

# The project's programs the guest ran: vmtest:NAME entries.
project_programs() {
	sed -n 's/^vmtest://p' "$O/kselftest/guest/kselftest-list.txt" 2>/dev/null
}

# check_programs KERNEL WANT: each project program's leaves in
# results-KERNEL.tsv are all WANT (PASS or SKIP), and there are some.
check_programs() {
	local which=$1 want=$2 prog leaves bad

	for prog in $(project_programs); do
		leaves=$(grep -E "^$prog(:|$(printf '\t'))" "$O/results-$which.tsv" || true)
		bad=$(grep -v "$(printf '\t')$want\$" <<<"$leaves" | cut -f1 | tr '\n' ' ' || true)
		if [ -n "$leaves" ] && [ -z "${bad// /}" ]; then
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
# 1. after kernel

check_after() {
	local line skipped_new

	echo "check: [1] after kernel: make vmtest (log: $LOGS/check-after.log)"
	run_suite "after kernel" "$LOGS/check-after.log" "every stock and new test passes" \
		env VMTEST_APPEND="vmtest.sample=1" "$VMTEST" run after || return 0
	line=$LINE
	load_new
	local b ran
	for b in $BPF_BUILDS; do
		skipped_new=$(grep -F -f <(printf "$b:%s\tSKIP\n" "${NEW[@]}") \
			"$O/results-after.tsv" | cut -f1 | tr '\n' ' ' || true)
		ran=$(grep -cF -f <(printf "$b:%s\t\n" "${NEW[@]}") "$O/results-after.tsv" || true)
		if [ "${#NEW[@]}" -gt 0 ] && [ "$ran" -eq "${#NEW[@]}" ] && [ -z "$skipped_new" ]; then
			step "after kernel: $b: no skip among the ${#NEW[@]} new tests" PASS
		else
			step "after kernel: $b: no skip among the ${#NEW[@]} new tests" FAIL \
				"${skipped_new:-$ran of ${#NEW[@]} new tests ran}"
		fi
	done
	check_programs after PASS
	check_results after "$line"
	check_sample after "$O/console-after.log" \
		"supervisor: continued setxattr(user.origin)" \
		"target: setxattr(user.origin) = 0" \
		"supervisor: emulated setxattr(trusted.overlay.opaque) on upper" \
		"target: setxattr(trusted.overlay.opaque) = 0" \
		"vmtest-sample: exit=0" \
		"vmtest-sample: xattr user.origin=sample" \
		"vmtest-sample: xattr trusted.overlay.opaque=y"
}

# check_sample KERNEL CONSOLE LINE...: the guest ran the sample (see
# harness/guest/init); every LINE must be among what it printed and the
# xattrs it left, whatever the order.
check_sample() {
	local which=$1 console=$2 got want missing=()

	shift 2
	got=$(sed -n '/^vmtest-sample: begin/,/^vmtest-sample: end/p' "$console" | tr -d '\r')
	sed '1d;$d' <<<"$got" | sed 's/^/    /'
	for want in "$@"; do
		grep -qxF -- "$want" <<<"$got" || missing+=("$want")
	done
	if [ -n "$got" ] && [ "${#missing[@]}" -eq 0 ]; then
		step "$which kernel: the sample user-continue did what it says ($# lines)" PASS
	else
		step "$which kernel: the sample user-continue did what it says ($# lines)" FAIL \
			"missing: $(printf "'%s' " "${missing[@]:-the sample never ran}")(console: $console)"
	fi
}

# ---------------------------------------------------------------------------
# 2. before kernel: the differential

check_before() {
	local rc=0 line name verdict before after stock_bad=0 ok=0 bad=0 expect
	declare -A isnew=() aft=()

	echo "check: [2] before kernel: same tests, kernel without the series (log: $LOGS/check-before.log)"
	VMTEST_APPEND="vmtest.sample=1" "$VMTEST" run before >"$LOGS/check-before.log" 2>&1 || rc=$?
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
	check_programs before SKIP
	check_results before "$line"
	check_sample before "$O/console-before.log" \
		"user-continue: kernel lacks SECCOMP_USER_NOTIF_CONTINUE, failing intercepted calls with EOPNOTSUPP" \
		"target: setxattr(user.origin) = -1 (Operation not supported)" \
		"target: setxattr(trusted.overlay.opaque) = 0" \
		"vmtest-sample: exit=0" \
		"vmtest-sample: xattr user.origin=xattr-get: /tmp/uc/upper: user.origin: No data available" \
		"vmtest-sample: xattr trusted.overlay.opaque=y"
}

# ---------------------------------------------------------------------------
# 3. the series as a reviewer receives it (cached by input hash)

# The series without its cover letter, into the array "series".
series_patches() {
	local p

	series=()
	for p in "$TOP"/patches/0*.patch; do
		[[ $p == */0000-cover-letter.patch ]] || series+=("$p")
	done
}

FRESH=$CHK/fresh
FRESH_KB=$CHK/kbuild
CACHE=$CHK/cache

inputs_id() {
	cat "$O/stamps/source" "$TOP"/base/*.patch "$TOP"/patches/*.patch \
		"$HARNESS/check.sh" "$HARNESS/config/vm.config" | sha256sum | cut -d' ' -f1
}

# cached NAME CMD...: run CMD (a step function) unless it passed before
# with the same inputs.
cached() {
	local name=$1 id

	shift
	id=$(inputs_id)
	if [ "$(cat "$CACHE/$name" 2>/dev/null)" = "$id" ]; then
		step "$(cat "$CACHE/$name.title")" PASS "cached: same stock source, base, series and harness"
		return
	fi
	rm -f "$CACHE/$name"
	local before=$FAILED
	"$@"
	if [ "$FAILED" -eq "$before" ]; then
		mkdir -p "$CACHE"
		echo "$id" >"$CACHE/$name"
	fi
}

# A before tree made afresh from the imported stock commit.  An existing
# worktree is reset to stock and cleaned rather than checked out again:
# only the files the patches touched are rewritten.
fresh_tree() {
	local repo=$O/trees/before

	: >"$LOGS/check-fresh.log"
	if ! git -C "$FRESH" rev-parse --git-dir >/dev/null 2>&1; then
		rm -rf "$FRESH"
		git -C "$repo" worktree prune
		git -C "$repo" worktree add -q --detach "$FRESH" stock \
			>>"$LOGS/check-fresh.log" 2>&1 || return 1
	fi
	git -C "$FRESH" am --abort >/dev/null 2>&1 || true
	git -C "$FRESH" checkout -q -f --detach stock >>"$LOGS/check-fresh.log" 2>&1 &&
	git -C "$FRESH" clean -q -fdx >>"$LOGS/check-fresh.log" 2>&1 &&
	git -C "$FRESH" am -q --committer-date-is-author-date "$TOP"/base/*.patch \
		>>"$LOGS/check-fresh.log" 2>&1
}

# Not cached: the before tree is the one this run built.
step_base() {
	local title="series: the cover letter's base-commit: is the before tree's HEAD"
	local cover=$TOP/patches/0000-cover-letter.patch want got

	want=$(git -C "$O/trees/before" rev-parse -q --verify HEAD 2>/dev/null || true)
	got=$(sed -n 's/^base-commit: \([0-9a-f]*\)$/\1/p' "$cover" 2>/dev/null | head -n1 || true)
	if [ -z "$want" ]; then
		step "$title" FAIL "no before tree in $O/trees/before: run 'make vmtest' first"
	elif [ -z "$got" ]; then
		step "$title" FAIL "no base-commit: line in $cover: run 'make series'"
	elif [ "$got" != "$want" ]; then
		step "$title" FAIL "base-commit: ${got:0:12}, before tree ${want:0:12}: run 'make series' to regenerate patches/"
	else
		step "$title" PASS "${want:0:12}"
	fi
}

step_apply() {
	local title="series: git am patches/*.patch on a fresh before tree" p failed
	local -a series

	echo "$title" >"$CACHE/apply.title"
	series_patches
	if ! fresh_tree; then
		step "$title" FAIL "could not make the fresh tree, see $LOGS/check-fresh.log"
		return
	fi
	for p in "${series[@]}"; do
		if ! git -C "$FRESH" am -q "$p" >>"$LOGS/check-fresh.log" 2>&1; then
			failed=$(basename "$p")
			git -C "$FRESH" am --abort >/dev/null 2>&1 || true
			step "$title" FAIL "$failed does not apply: $(grep -m1 '^error:' "$LOGS/check-fresh.log" || true)"
			return
		fi
	done
	if [ "$(git -C "$FRESH" rev-parse 'HEAD^{tree}')" != "$(git -C "$O/trees/after" rev-parse 'HEAD^{tree}')" ]; then
		step "$title" FAIL "applies, but the result differs from the after tree (run 'make series'?)"
		return
	fi
	step "$title" PASS "result identical to the after tree"
}

step_checkpatch() {
	local title="series: checkpatch.pl --strict: 0 errors, 0 warnings, 0 checks" log=$LOGS/check-checkpatch.log
	local e=0 w=0 c=0 line
	local -a series

	echo "$title" >"$CACHE/checkpatch.title"
	series_patches
	(cd "$O/trees/after" && perl scripts/checkpatch.pl --strict --show-types "${series[@]}") >"$log" 2>&1 || true
	while read -r line; do
		read -r a b cc < <(sed -E 's/^total: ([0-9]+) errors, ([0-9]+) warnings, ([0-9]+) checks.*/\1 \2 \3/' <<<"$line")
		e=$((e + a)); w=$((w + b)); c=$((c + cc))
	done < <(grep '^total:' "$log")
	# "does MAINTAINERS need updating?" is a question: it is answered
	# when get_maintainer.pl names a maintainer (M:) for every file the
	# patch adds, once the series is applied.
	local p f out answered=0
	for p in "${series[@]}"; do
		grep -q '^ create mode' "$p" || continue
		out=$(cd "$O/trees/after"; perl scripts/checkpatch.pl --strict --show-types "$p" 2>/dev/null) || true
		grep -q '^WARNING:FILE_PATH_CHANGES:' <<<"$out" || continue
		while read -r f; do
			out=$(cd "$O/trees/after"; perl scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f" 2>/dev/null) || true
			grep -qE '\((maintainer|supporter):' <<<"$out" || continue 2
		done < <(sed -n 's/^ create mode [0-7]* //p' "$p")
		echo "    $(basename "$p"): FILE_PATH_CHANGES answered: get_maintainer.pl names a maintainer for every file it adds"
		answered=$((answered + 1))
	done
	w=$((w - answered))
	if [ "$(grep -c '^total:' "$log")" -ne "${#series[@]}" ]; then
		step "$title" FAIL "checkpatch did not check every patch, see $log"
	elif [ $((e + w + c)) -eq 0 ]; then
		step "$title" PASS "${#series[@]} patches: $e errors, $w warnings, $c checks"
	else
		grep -E '^(ERROR|WARNING|CHECK):' "$log" | sed 's/^/    /' | head -n 20
		step "$title" FAIL "$e errors, $w warnings, $c checks (log: $log)"
	fi
}

# Warnings of one build, without paths that differ between runs.
warnings() {
	grep -E '(warning|error):' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u || true
}

build_at() {
	local tag=$1 log=$CHK/bisect-$1

	touch "$FRESH/kernel/seccomp.c"
	make -C "$FRESH" O="$FRESH_KB" -j"$JOBS" W=1 ${SPARSE:+C=1} kernel/seccomp.o >"$log-kernel.log" 2>&1 || return 1
	make -C "$FRESH" O="$FRESH_KB" -j"$JOBS" headers_install samples/seccomp/ >"$log-headers.log" 2>&1 || return 1
	rm -rf "$CHK/kst-$tag"
	env CFLAGS=-static make -C "$FRESH/tools/testing/selftests" TARGETS=seccomp \
		O="$CHK/kst-$tag" KHDR_INCLUDES="-isystem $FRESH_KB/usr/include" \
		-j"$JOBS" >"$log-selftests.log" 2>&1 || return 1
	cat "$log-kernel.log" "$log-headers.log" "$log-selftests.log" >"$log.log"
}

step_bisect() {
	local title="series: every patch builds on its own, no new warnings" base_w k p tag
	local -a series

	echo "$title" >"$CACHE/bisect.title"
	SPARSE=
	if command -v sparse >/dev/null; then
		SPARSE=1
	fi
	series_patches
	if ! fresh_tree; then
		step "$title" FAIL "could not make the fresh tree, see $LOGS/check-fresh.log"
		return
	fi
	mkdir -p "$FRESH_KB"
	cp "$O/kbuild/after/.config" "$FRESH_KB/.config"
	make -C "$FRESH" O="$FRESH_KB" olddefconfig >"$CHK/bisect-config.log" 2>&1
	echo "    building kernel/seccomp.o (W=1${SPARSE:+, C=1 sparse}), headers, samples/seccomp, selftests at each patch"
	if ! build_at base; then
		step "$title" FAIL "the before tree does not build, see $CHK/bisect-base-*.log"
		return
	fi
	base_w=$(warnings "$CHK/bisect-base.log")
	k=0
	for p in "${series[@]}"; do
		k=$((k + 1))
		tag=$(printf '%04d' "$k")
		git -C "$FRESH" am -q "$p" >>"$LOGS/check-fresh.log" 2>&1 ||
			{ step "$title" FAIL "$(basename "$p") does not apply"; return; }
		if ! build_at "$tag"; then
			step "$title" FAIL "build breaks at $(basename "$p"), see $CHK/bisect-$tag-*.log"
			return
		fi
		local new
		new=$(comm -13 <(echo "$base_w") <(warnings "$CHK/bisect-$tag.log"))
		if [ -n "$new" ]; then
			printf '    %s\n' "${new//$'\n'/$'\n'    }"
			step "$title" FAIL "$(basename "$p") adds warnings, see $CHK/bisect-$tag.log"
			return
		fi
		echo "    $(basename "$p"): builds, no new warnings"
	done
	step "$title" PASS "${#series[@]} patches${SPARSE:+, sparse clean}"
}

step_uapi() {
	local title="series: uapi header compiles in userspace (-std=c99 -pedantic), both spellings = 1"
	local src=$CHK/uapi.c bin=$CHK/uapi out

	echo "$title" >"$CACHE/uapi.title"
	cat >"$src" <<'EOF'
#include <stdio.h>
#include <linux/seccomp.h>

/* C99 has no _Static_assert: a negative array size fails the build. */
typedef char continue_is_bit0[SECCOMP_USER_NOTIF_CONTINUE == 1 ? 1 : -1];
typedef char mainline_spelling[SECCOMP_USER_NOTIF_FLAG_CONTINUE == 1 ? 1 : -1];

int main(void)
{
	struct seccomp_notif_resp resp = { 0 };

	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	printf("%lu %lu %u\n", (unsigned long)SECCOMP_USER_NOTIF_CONTINUE,
	       (unsigned long)SECCOMP_USER_NOTIF_FLAG_CONTINUE, resp.flags);
	return 0;
}
EOF
	if ! gcc -std=c99 -Wall -Wextra -Werror -pedantic -isystem "$O/kbuild/after/usr/include" \
		-o "$bin" "$src" >"$LOGS/check-uapi.log" 2>&1; then
		step "$title" FAIL "see $LOGS/check-uapi.log"
		return
	fi
	out=$("$bin")
	if [ "$out" = "1 1 1" ]; then
		step "$title" PASS
	else
		step "$title" FAIL "printed '$out', want '1 1 1'"
	fi
}

step_docs() {
	local title="series: Sphinx build of Documentation/userspace-api, no warning about seccomp_filter.rst"
	local log=$LOGS/check-docs.log

	echo "$title" >"$CACHE/docs.title"
	echo "    sphinx-build (log: $log)"
	if ! make -C "$O/trees/after" O="$CHK/docs" SPHINXDIRS=userspace-api htmldocs >"$log" 2>&1; then
		step "$title" FAIL "htmldocs failed, see $log"
	elif grep -i 'seccomp_filter' "$log" | grep -qiE 'warning|error'; then
		grep -i 'seccomp_filter' "$log" | grep -iE 'warning|error' | sed 's/^/    /'
		step "$title" FAIL "see $log"
	elif [ ! -f "$CHK/docs/Documentation/output/userspace-api/seccomp_filter.html" ]; then
		step "$title" FAIL "seccomp_filter.html was not produced, see $log"
	else
		step "$title" PASS "$(grep -c 'WARNING' "$log" || true) warnings, none about seccomp_filter.rst"
	fi
}

step_maintainers() {
	local title="series: get_maintainer.pl (informational)" log=$LOGS/check-get-maintainer.log

	if (cd "$O/trees/after" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		"$TOP"/patches/000[1-9]*.patch) >"$log" 2>&1; then
		sed 's/^/    /' "$log"
		step "$title" PASS "$(wc -l <"$log") recipients"
	else
		step "$title" FAIL "see $log"
	fi
}

check_series() {
	echo "check: [3] the series as a reviewer receives it"
	mkdir -p "$CACHE"
	for s in ${CHECK_STEPS:-base apply checkpatch bisect uapi docs maintainers}; do
		case "$s" in
		base) step_base ;;
		maintainers) step_maintainers ;;
		apply) cached apply step_apply ;;
		checkpatch) cached checkpatch step_checkpatch ;;
		bisect) cached bisect step_bisect ;;
		uapi) cached uapi step_uapi ;;
		docs) cached docs step_docs ;;
		*) step "series: unknown step '$s'" FAIL ;;
		esac
	done
}

# ---------------------------------------------------------------------------
# mutants: each decision of the kernel patch is watched by a test
# (harness/mutate.sh; needs part 1's kernel, test binaries and results)

check_mutants() {
	local log=$LOGS/check-mutants.log rc=0 line k s e f

	echo "check: [mutants] each decision of patch 1 is watched by a test (log: $log)"
	"$HARNESS/mutate.sh" >"$log" 2>&1 || rc=$?
	sed -n '/^mutant  /,/^mutants: [0-9]/p' "$log" | sed '$d; s/^/    /'
	line=$(tail -n1 "$log")
	if [[ $line =~ ^mutants:\ ([0-9]+)\ killed,\ ([0-9]+)\ survived,\ ([0-9]+)\ equivalent,\ ([0-9]+)\ failed ]]; then
		k=${BASH_REMATCH[1]}; s=${BASH_REMATCH[2]}; e=${BASH_REMATCH[3]}; f=${BASH_REMATCH[4]}
		PASSED=$((PASSED + k + e)); FAILED=$((FAILED + s + f))
	else
		grep 'ERROR' "$log" | sed 's/^/    /' || true
	fi
	if [ "$rc" -eq 0 ] && [[ $line == mutants:* ]]; then
		step "mutants: every mutant of kernel/seccomp.c is killed or listed as equivalent" PASS "$line"
	else
		step "mutants: every mutant of kernel/seccomp.c is killed or listed as equivalent" FAIL "${line:-no summary}, see $log"
	fi
}

# ---------------------------------------------------------------------------
# bench: the short exact-mode gate (harness/bench.sh --gate-short): after
# and before, guest instructions per getppid on the paths that do not
# continue, after/before within 1.000 +- 0.005 (needs parts 1 and 2's
# kernels)

check_bench() {
	local log=$LOGS/check-bench.log line

	echo "check: [bench] a path that does not continue costs what it did (log: $log)"
	if "$HARNESS/bench.sh" --gate-short >"$log" 2>&1; then
		line=$(grep -m1 '^bench: gates' "$log" || tail -n1 "$log")
		grep -E '^\|' "$O/bench/gate-short.md" 2>/dev/null | sed 's/^/    /' || true
		step "bench: after/before guest instructions per call within 1.000 +- 0.005 (exact mode)" PASS "$line"
	else
		grep -E '^gate: FAIL|ERROR' "$log" | head -n 20 | sed 's/^/    /' || true
		step "bench: after/before guest instructions per call within 1.000 +- 0.005 (exact mode)" FAIL \
			"$(grep -m1 '^bench: gates' "$log" || echo "see $log")"
	fi
}

# ---------------------------------------------------------------------------
# debug: the after kernel with the kernel's own detectors (DEBUG=1:
# harness/config/debug.config): the whole suite, the stress run and the
# fuzzer, no splat on the console, kmemleak's scan at the end empty

check_debug() {
	local log=$LOGS/check-debug.log opt missing=() console
	local kb=$O/kbuild/after-debug

	echo "check: [debug] after kernel with KASAN, lockdep, UBSAN, kmemleak, hung-task and lockup detectors (log: $log)"
	run_suite "debug kernel" "$log" "every test passes, no splat on the console" \
		env DEBUG=1 "$VMTEST" run after || return 0
	while read -r opt; do
		grep -qx "$opt" "$kb/.config" 2>/dev/null || missing+=("$opt")
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=y$' "$HARNESS/config/debug.config")
	if [ "${#missing[@]}" -eq 0 ]; then
		step "debug kernel: every =y option of debug.config is in its .config" PASS
	else
		step "debug kernel: every =y option of debug.config is in its .config" FAIL "${missing[*]}"
	fi
	console=$O/console-after-debug.log
	if grep -q '^vmtest-guest: kmemleak scan' "$console" &&
	   ! grep -q 'unreferenced object' "$console"; then
		step "debug kernel: kmemleak scanned after the tests, nothing suspected" PASS
	else
		step "debug kernel: kmemleak scanned after the tests, nothing suspected" FAIL "see $console"
	fi
	check_programs after-debug PASS
	# The stress and fuzz totals, as the programs printed them.
	grep -E '^# # (notifications handled|replies by kind|calls:|signals:|supervisor restarts|seed |[0-9]+ ioctls checked)' \
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
	check_programs after-arm64 PASS
}

# ---------------------------------------------------------------------------
# package: make kselftest-install's tree and tarball, run in the guest as a
# CI system runs a kselftest target: unpacked, ./run_kselftest.sh -c seccomp

check_package() {
	local log=$LOGS/check-package.log d=$O/kselftest-install/kselftest f
	local missing=() line want got bench rc=0

	echo "check: [package] make kselftest-install, run with run_kselftest.sh -c seccomp (log: $log)"
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
	RUN_NAME=after-package T='@(seccomp_bpf|seccomp_benchmark)' \
		VMTEST_APPEND="vmtest.kselftest-tar=1" "$VMTEST" test after >>"$log" 2>&1 || rc=$?
	line=$(tail -n1 "$log")
	want=$(grep -c "^seccomp_bpf:.*$(printf '\t')PASS\$" "$O/results-after.tsv" || true)
	got=$(grep -c "^seccomp_bpf:.*$(printf '\t')PASS\$" "$O/results-after-package.tsv" 2>/dev/null || true)
	if grep -q 'kselftest: Running tests in seccomp' "$O/console-after-package.log" 2>/dev/null &&
	   [ "$got" -gt 0 ] && [ "$got" = "$want" ] &&
	   ! grep -q "^seccomp_bpf:.*$(printf '\t')[FS]" "$O/results-after-package.tsv"; then
		step "package: run_kselftest.sh -c seccomp in the guest: every seccomp_bpf case passes ($got)" PASS
	else
		step "package: run_kselftest.sh -c seccomp in the guest: every seccomp_bpf case passes" FAIL \
			"$got passed, the harness's own run $want; $line (log: $log)"
	fi
	# The benchmark's verdict is the machine's: under TCG it runs past
	# kselftest's 180 s timeout; make bench measures.  It must be reported.
	bench=$(grep -m1 -E -o '^(not )?ok [0-9]+ selftests: seccomp: seccomp_benchmark.*' \
		"$O/console-after-package.log" 2>/dev/null | tr -d '\r' || true)
	if [ -n "$bench" ]; then
		step "package: seccomp_benchmark ran and was reported ($bench)" PASS
	else
		step "package: seccomp_benchmark ran and was reported" FAIL "see $O/console-after-package.log"
	fi
	: "$rc"
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
		"$CHECK_KTAP" >/dev/null || true
}

main() {
	local -a parts=("${@:-after before mutants bench debug package series harness}")

	check_deps
	# shellcheck disable=SC2068
	for part in ${parts[@]}; do
		case "$part" in
		after) check_after ;;
		before) check_before ;;
		series) check_series ;;
		mutants) check_mutants ;;
		bench) check_bench ;;
		debug) check_debug ;;
		arch) check_arch ;;
		package) check_package ;;
		harness) check_harness ;;
		*) echo "usage: $0 [after|before|mutants|bench|debug|package|series|harness|arch]..." >&2; exit 2 ;;
		esac
	done
	check_results_files
	echo "check: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

NEW=()
main "$@"; exit
