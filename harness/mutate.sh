#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mutate.sh [KERNEL] (make mutants [K=nested], and a step of make check): is
# each decision of a series' kernel/seccomp.c watched by a test?  KERNEL is
# a kernel of harness/config/kernels.sh whose series changes
# kernel/seccomp.c: after (patches/, default) or nested (rfc/); its mutants
# are harness/mutants/KERNEL/*.patch.
#
# Every harness/mutants/KERNEL/NAME.patch changes one decision.  Its header says
# what ("Mutant: ...") and, for a mutant no test can tell from the series,
# why ("Equivalent: ...").  Each mutant is applied in turn to a worktree of
# KERNEL's tree and built in the worktree's build directory, so that only
# kernel/seccomp.o and the link are redone; the worktree's first build
# starts from a copy of KERNEL's build directory (harness/lib/kernel.sh:
# seed_kbuild).  Its bzImage is kept in $O/kbuild/mutant-NAME/ (after) or
# mutant-KERNEL-NAME/ and booted with KERNEL's test binaries.  It is
# killed when a test that passes on KERNEL does not pass on it; the table
# says by which tests, and how long its build and its run took.
#
# A surviving mutant fails, unless it is listed as equivalent; an
# equivalent one that is killed fails too (the reason is wrong); so does
# one that only timeouts kill (a test must fail it in seconds, by a check).
# Prints a mutant x time x killing-tests table, writes $O/mutants.tsv, and
# ends with
# "mutants: K killed, S survived, E equivalent, F failed to run".
#
# Needs a finished 'make vmtest K=KERNEL' (kernel, test binaries, results).
# MUTANTS="name ..." runs only those; MUTANT_TESTS (a glob of entries, as T)
# what they boot.
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The harness's settings and stages: kmake, ccache_summary, paths.
# shellcheck source=harness/lib/load.sh
source "$HARNESS/lib/load.sh"
export O
K=${1:-after}
# What a mutant boots.  Of the series: every guest entry of make vmtest but
# the ia32 build of seccomp_bpf, the same tests again (the parts after,
# before and stock run it), which would only double the 30 s timeouts of
# the stock tests that some mutants hang (and, as always, not the
# benchmark).  Of the RFC: its tests, in seccomp_bpf_nested, and the
# differential fuzzer of its decision, vmtest:nested-fuzz.
declare -A MUTANT_TESTS_OF=(
	[after]='!(seccomp_bpf_ia32|seccomp_benchmark)'
	[nested]='@(seccomp_bpf_nested|nested-fuzz)'
)
MUTANT_TESTS=${MUTANT_TESTS:-${MUTANT_TESTS_OF[$K]:-}}
[ -n "$MUTANT_TESTS" ] || { echo "mutants: ERROR: no mutants for kernel '$K' (harness/mutants/$K/)" >&2; exit 2; }
# Names and places of this kernel's mutants: the series' keep the names
# they always had.
if [ "$K" = after ]; then
	MUT=$O/mutants
	MPREFIX=mutant-
else
	MUT=$O/mutants-$K
	MPREFIX=mutant-$K-
fi
MTREE=$MUT/tree
# The build directory inside the worktree, as for the kernels of the table.
MBASE=$MTREE/.kbuild
AFTER=$O/trees/$K
RESULTS_AFTER=$O/results-$K.tsv

mut_die() {
	echo "mutants: ERROR: $*" >&2
	echo "mutants: 0 killed, 0 survived, 0 equivalent, 1 failed to run"
	exit 1
}

# The baseline: a whole run of the kernel, in which the programs that the
# mutants run passed.  A run with T= (only some programs) replaces it, and
# every mutant would then "survive" for want of a test to compare with.
baseline_ok() {
	local prog

	shopt -s extglob
	[ -f "$RESULTS_AFTER" ] || return 1
	while read -r prog; do
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $prog == $MUTANT_TESTS ]] && return 0
	done < <(awk -F'\t' '$2 == "PASS" { sub(/:.*/, "", $1); print $1 }' "$RESULTS_AFTER" | sort -u)
	return 1
}
baseline_ok ||
	mut_die "$RESULTS_AFTER has no passing case of $MUTANT_TESTS: the mutants compare with a whole run of the $K kernel; run 'make vmtest K=$K' (a run with T= replaces that file)"

if [ ! -d "$AFTER" ] || [ ! -s "$RESULTS_AFTER" ] || [ ! -f "$O/kbuild/$K/.config" ]; then
	mut_die "no $K kernel results ($RESULTS_AFTER): run 'make vmtest K=$K' first"
fi
mkdir -p "$MUT" "$LOGS"

# The worktree: the kernel's tree's HEAD.  A checkout only rewrites the files
# that changed, so the base build stays incremental.
head=$(git -C "$AFTER" rev-parse HEAD)
if ! git -C "$MTREE" rev-parse --git-dir >/dev/null 2>&1; then
	rm -rf "$MTREE"
	git -C "$REPO" worktree prune
	git -C "$REPO" worktree add -q --detach "$MTREE" "$head" \
		>"$LOGS/mutants-tree.log" 2>&1 ||
		mut_die "could not add the worktree $MTREE, see $LOGS/mutants-tree.log"
fi
git -C "$MTREE" checkout -q -f --detach "$head" ||
	mut_die "could not check out $head in $MTREE"

# The worktree's first build starts from a copy of the kernel's build
# directory (harness/lib/kernel.sh: seed_kbuild): the same sources.
if [ ! -f "$MBASE/vmlinux" ] && [ "${SEED:-1}" != 0 ] &&
   [ "$(cat "$STAMPS/built-$K" 2>/dev/null)" = "$head" ]; then
	seed_kbuild "$AFTER" "$(kbuild_dir "$K")" "$MTREE" "$MBASE" "$LOGS/seed-mutants-$K.log" ||
		mut_die "copying the $K kernel's build directory failed, see $LOGS/seed-mutants-$K.log"
fi
mkdir -p "$MBASE"
cmp -s "$O/kbuild/$K/.config" "$MBASE/.config" ||
	cp "$O/kbuild/$K/.config" "$MBASE/.config"
# mkmake ARGS...: make in the worktree as the kernels are built (ccache).
mkmake() { kmake "$MTREE" "$MBASE" -j"$JOBS" "$@"; }

t0=$(date +%s)
: >"$LOGS/ccache-${MPREFIX}base.stats"
KMAKE_STATS=$LOGS/ccache-${MPREFIX}base.stats mkmake all >"$LOGS/${MPREFIX}base.log" 2>&1 ||
	mut_die "the unmutated worktree does not build, see $LOGS/${MPREFIX}base.log"
cached=$(ccache_summary "$LOGS/ccache-${MPREFIX}base.stats")
echo "${MPREFIX}base: ${cached:-no ccache}" >"$LOGS/ccache-${MPREFIX}base.summary"
echo "mutants: base build of $MTREE at ${head:0:12}: $(( $(date +%s) - t0 ))s, ${cached:-no ccache} (log: $LOGS/${MPREFIX}base.log)"

# passing TSV: the tests that pass, one per line
passing() { awk -F'\t' '$2 == "PASS" {print $1}' "$1" | sort -u; }

# passing_in TSV RAN: the tests of TSV that pass, of the programs that ran
# in RAN (a mutant runs a subset, MUTANT_TESTS): "prog" or "prog:case".
passing_in() {
	awk -F'\t' 'NR == FNR { sub(/:.*/, "", $1); ran[$1] = 1; next }
		$2 == "PASS" { p = $1; sub(/:.*/, "", p); if (p in ran) print $1 }' \
		"$2" "$1" | sort -u
}

# timeouts JSON: the failed tests of a run's build/results/ JSON that ran
# into a timeout, one per line
timeouts() {
	python3 -c 'import json, sys
for f in json.load(open(sys.argv[1])).get("failures", []):
    if f.get("timeout"):
        print(f["name"])' "$1" 2>/dev/null | sort -u
}

killed=0 survived=0 equivalent=0 failed=0
TSV=$O/mutants.tsv
[ "$K" = after ] || TSV=$O/mutants-$K.tsv
: >"$TSV"
declare -a rows=()

run_mutant() {
	local patch=$1 name what equiv kb log kills clean n nclean verdict more t0 t1 secs

	name=$(basename "$patch" .patch)
	what=$(sed -n 's/^Mutant: //p' "$patch" | head -n1)
	equiv=$(sed -n 's/^Equivalent: //p' "$patch" | head -n1)
	kb=$O/kbuild/$MPREFIX$name
	log=$LOGS/$MPREFIX$name.log

	if ! git -C "$MTREE" apply "$patch" 2>"$log"; then
		failed=$((failed + 1))
		rows+=("$name|FAILED|-|does not apply to the $K tree: update $patch")
		return
	fi
	t0=$(date +%s)
	if ! mkmake all >>"$log" 2>&1; then
		git -C "$MTREE" checkout -q -- kernel/seccomp.c
		failed=$((failed + 1))
		rows+=("$name|FAILED|-|does not build, see $log")
		return
	fi
	git -C "$MTREE" checkout -q -- kernel/seccomp.c
	rm -rf "$kb"
	mkdir -p "$kb/arch/x86/boot"
	cp "$MBASE/arch/x86/boot/bzImage" "$kb/arch/x86/boot/bzImage"
	rm -f "$O/results-$MPREFIX$name.tsv"
	t1=$(date +%s)
	T=$MUTANT_TESTS "$HARNESS/vmtest.sh" test "$MPREFIX$name" >>"$log" 2>&1 || true
	secs="build $((t1 - t0))s, run $(( $(date +%s) - t1 ))s"

	if [ -s "$O/results-$MPREFIX$name.tsv" ]; then
		kills=$(comm -23 <(passing_in "$RESULTS_AFTER" "$O/results-$MPREFIX$name.tsv") \
			<(passing "$O/results-$MPREFIX$name.tsv"))
		# The killing tests that did not run into a timeout (they
		# failed a check, or skipped).
		clean=$(comm -23 <(echo "$kills") <(timeouts "$O/results/$MPREFIX$name.json"))
		kills=${kills//seccomp_bpf:/}
	else
		kills="(no results: $(grep -m1 '^\[tests\] ERROR' "$log" || echo 'guest failed'))"
		clean=
	fi
	n=$(grep -c . <<<"$kills" || true)
	nclean=$(grep -c . <<<"$clean" || true)
	if [ -n "$equiv" ]; then
		if [ "$n" -eq 0 ]; then
			verdict=equivalent; equivalent=$((equivalent + 1))
			kills="survives, as listed: $equiv"
		else
			verdict=FAILED; failed=$((failed + 1))
			kills="listed as equivalent but killed by: $(tr '\n' ' ' <<<"$kills")"
		fi
	elif [ "$n" -gt 0 ] && [ "$nclean" -eq 0 ]; then
		# Killed, but only by timeouts: the tests must fail fast.
		verdict=TIMEOUT; failed=$((failed + 1))
		kills="only by timeouts: $(head -n 4 <<<"$kills" | tr '\n' ' ')"
	elif [ "$n" -gt 0 ]; then
		verdict=killed; killed=$((killed + 1))
		more=
		if [ "$n" -gt 4 ]; then
			more="(+$((n - 4)) more)"
		fi
		kills="$n ($((n - nclean)) by timeout): $(head -n 4 <<<"$kills" | tr '\n' ' ')$more"
	else
		verdict=SURVIVED; survived=$((survived + 1))
		kills="no test fails: add one, or list it as equivalent with the reason"
	fi
	printf '%s\t%s\t%s\n' "$name" "$verdict" "$what" >>"$TSV"
	rows+=("$name|$verdict|$secs|$kills")
}

# The guest gets the kernel's tests (a run of another kernel may have
# staged others: suites in harness/config/kernels.sh).
"$HARNESS/vmtest.sh" selftests "$K" >"$LOGS/${MPREFIX}selftests.log" 2>&1 ||
	mut_die "the $K kernel's tests do not build, see $LOGS/${MPREFIX}selftests.log"

mapfile -t patches < <(compgen -G "$HARNESS/mutants/$K/*.patch" | sort)
[ "${#patches[@]}" -gt 0 ] || mut_die "no mutant in $HARNESS/mutants/$K/"
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	if [ -n "${MUTANTS:-}" ] && [[ " $MUTANTS " != *" $name "* ]]; then
		continue
	fi
	echo "mutants: $name: $(sed -n 's/^Mutant: //p' "$p" | head -n1)"
	run_mutant "$p"
done

printf '%-26s %-10s %-22s %s\n' mutant verdict time "killing tests"
for r in "${rows[@]}"; do
	IFS='|' read -r name verdict secs kills <<<"$r"
	printf '%-26s %-10s %-22s %s\n' "$name" "$verdict" "$secs" "$kills"
done
echo "mutants: $killed killed, $survived survived, $equivalent equivalent, $failed failed to run"
[ "$survived" -eq 0 ] && [ "$failed" -eq 0 ]
