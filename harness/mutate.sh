#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mutate.sh (make mutants, and a step of make check): is each decision of
# the series' kernel/seccomp.c watched by a test?
#
# Every harness/mutants/NAME.patch changes one decision.  Its header says
# what ("Mutant: ...") and, for a mutant no test can tell from the series,
# why ("Equivalent: ...").  Each mutant is applied in turn to a worktree of
# the after tree and built in the worktree's build directory, so that only
# kernel/seccomp.o and the link are redone (a copy of a build directory at
# another path rebuilds everything: measured, 650 objects); its bzImage is
# kept in $O/kbuild/mutant-NAME/ and booted with the after kernel's test
# binaries.  It is killed when a test that passes on the after kernel does
# not pass on it.
#
# A surviving mutant fails, unless it is listed as equivalent; an
# equivalent one that is killed fails too (the reason is wrong).  Prints a
# mutant x killing-tests table, writes $O/mutants.tsv, and ends with
# "mutants: K killed, S survived, E equivalent, F failed to run".
#
# Needs a finished 'make vmtest' (after kernel, test binaries, results).
# MUTANTS="name ..." runs only those.
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HARNESS")
O=${O:-$TOP/build}
O=$(cd "$O" && pwd)
export O
JOBS=${JOBS:-$(nproc)}
LOGS=$O/logs
MUT=$O/mutants
MTREE=$MUT/tree
MBASE=$MUT/kbuild-base
AFTER=$O/trees/after
RESULTS_AFTER=$O/results-after.tsv

die() {
	echo "mutants: ERROR: $*" >&2
	echo "mutants: 0 killed, 0 survived, 0 equivalent, 1 failed to run"
	exit 1
}

if [ ! -d "$AFTER" ] || [ ! -s "$RESULTS_AFTER" ] || [ ! -f "$O/kbuild/after/.config" ]; then
	die "no after kernel results ($RESULTS_AFTER): run 'make vmtest' first"
fi
mkdir -p "$MUT" "$LOGS"

# The worktree: the after tree's HEAD.  A checkout only rewrites the files
# that changed, so the base build stays incremental.
head=$(git -C "$AFTER" rev-parse HEAD)
if ! git -C "$MTREE" rev-parse --git-dir >/dev/null 2>&1; then
	rm -rf "$MTREE"
	git -C "$O/trees/before" worktree prune
	git -C "$O/trees/before" worktree add -q --detach "$MTREE" "$head" \
		>"$LOGS/mutants-tree.log" 2>&1 ||
		die "could not add the worktree $MTREE, see $LOGS/mutants-tree.log"
fi
git -C "$MTREE" checkout -q -f --detach "$head" ||
	die "could not check out $head in $MTREE"

mkdir -p "$MBASE"
cmp -s "$O/kbuild/after/.config" "$MBASE/.config" ||
	cp "$O/kbuild/after/.config" "$MBASE/.config"
echo "mutants: base build of $MTREE at ${head:0:12} (log: $LOGS/mutants-base.log)"
make -C "$MTREE" O="$MBASE" -j"$JOBS" all >"$LOGS/mutants-base.log" 2>&1 ||
	die "the unmutated worktree does not build, see $LOGS/mutants-base.log"

# passing TSV: the tests that pass, one per line
passing() { awk -F'\t' '$2 == "PASS" {print $1}' "$1" | sort -u; }

killed=0 survived=0 equivalent=0 failed=0
: >"$O/mutants.tsv"
declare -a rows=()

run_mutant() {
	local patch=$1 name what equiv kb log kills n verdict more

	name=$(basename "$patch" .patch)
	what=$(sed -n 's/^Mutant: //p' "$patch" | head -n1)
	equiv=$(sed -n 's/^Equivalent: //p' "$patch" | head -n1)
	kb=$O/kbuild/mutant-$name
	log=$LOGS/mutant-$name.log

	if ! git -C "$MTREE" apply "$patch" 2>"$log"; then
		failed=$((failed + 1))
		rows+=("$name|FAILED|does not apply to the after tree: update $patch")
		return
	fi
	if ! make -C "$MTREE" O="$MBASE" -j"$JOBS" all >>"$log" 2>&1; then
		git -C "$MTREE" checkout -q -- kernel/seccomp.c
		failed=$((failed + 1))
		rows+=("$name|FAILED|does not build, see $log")
		return
	fi
	git -C "$MTREE" checkout -q -- kernel/seccomp.c
	rm -rf "$kb"
	mkdir -p "$kb/arch/x86/boot"
	cp "$MBASE/arch/x86/boot/bzImage" "$kb/arch/x86/boot/bzImage"
	rm -f "$O/results-mutant-$name.tsv"
	"$HARNESS/vmtest.sh" test "mutant-$name" >>"$log" 2>&1 || true

	if [ -s "$O/results-mutant-$name.tsv" ]; then
		kills=$(comm -23 <(passing "$RESULTS_AFTER") \
			<(passing "$O/results-mutant-$name.tsv") | sed 's/^seccomp_bpf://')
	else
		kills="(no results: $(grep -m1 '^\[tests\] ERROR' "$log" || echo 'guest failed'))"
	fi
	n=$(grep -c . <<<"$kills" || true)
	if [ -n "$equiv" ]; then
		if [ "$n" -eq 0 ]; then
			verdict=equivalent; equivalent=$((equivalent + 1))
			kills="survives, as listed: $equiv"
		else
			verdict=FAILED; failed=$((failed + 1))
			kills="listed as equivalent but killed by: $(tr '\n' ' ' <<<"$kills")"
		fi
	elif [ "$n" -gt 0 ]; then
		verdict=killed; killed=$((killed + 1))
		more=
		if [ "$n" -gt 4 ]; then
			more="(+$((n - 4)) more)"
		fi
		kills="$n: $(head -n 4 <<<"$kills" | tr '\n' ' ')$more"
	else
		verdict=SURVIVED; survived=$((survived + 1))
		kills="no test fails: add one, or list it as equivalent with the reason"
	fi
	printf '%s\t%s\t%s\n' "$name" "$verdict" "$what" >>"$O/mutants.tsv"
	rows+=("$name|$verdict|$kills")
}

mapfile -t patches < <(compgen -G "$HARNESS/mutants/*.patch" | sort)
[ "${#patches[@]}" -gt 0 ] || die "no mutant in $HARNESS/mutants/"
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	if [ -n "${MUTANTS:-}" ] && [[ " $MUTANTS " != *" $name "* ]]; then
		continue
	fi
	echo "mutants: $name: $(sed -n 's/^Mutant: //p' "$p" | head -n1)"
	run_mutant "$p"
done

printf '%-26s %-10s %s\n' mutant verdict "killing tests"
for r in "${rows[@]}"; do
	IFS='|' read -r name verdict kills <<<"$r"
	printf '%-26s %-10s %s\n' "$name" "$verdict" "$kills"
done
echo "mutants: $killed killed, $survived survived, $equivalent equivalent, $failed failed to run"
[ "$survived" -eq 0 ] && [ "$failed" -eq 0 ]
