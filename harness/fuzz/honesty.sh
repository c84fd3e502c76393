#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# honesty.sh [KERNEL] (make fuzz-honesty): can the differential fuzzer
# (harness/guest/nested-fuzz.c) fail?  Each line of model-breaks.txt breaks
# one decision of its model (harness/guest/nested-model.h) with one sed
# expression; each broken copy is built as vmtest:nf-NAME and all of them
# run in one boot of KERNEL (default nested, flags at random) with the
# test binaries of 'make vmtest K=KERNEL'.  Each must fail its first case,
# "model agrees on every chain", and print the seed that replays it.
# Prints a table and "fuzz-honesty: N of M broken models caught".
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=harness/lib/load.sh
source "$HARNESS/lib/load.sh"
export O
K=${1:-nested}
BREAKS=$HARNESS/fuzz/model-breaks.txt
D=$O/fuzz-honesty
RUN=fuzz-honesty-$K
LIST=$KST_GUEST/kselftest-list.txt

fail() { echo "fuzz-honesty: ERROR: $*" >&2; exit 1; }

if [ ! -f "$(kbuild_dir "$K")/arch/x86/boot/bzImage" ] || [ ! -f "$LIST" ]; then
	fail "no $K kernel or test binaries: run 'make vmtest K=$K' first"
fi

# Build each broken model into the guest's test tree, and drop them from it
# again on the way out, whatever happens.
cleanup() {
	sed -i '/^vmtest:nf-/d' "$LIST"
	rm -f "$KST_GUEST"/vmtest/nf-*
}
trap cleanup EXIT
rm -rf "$D"
mkdir -p "$D"
names=()
while IFS='|' read -r name what expr; do
	[[ -z $name || $name == \#* ]] && continue
	mkdir -p "$D/$name"
	cp "$HARNESS/guest/nested-fuzz.c" "$HARNESS/guest/nested-model.h" \
	   "$HARNESS/guest/notif-util.h" "$D/$name/"
	sed -i -e "$expr" "$D/$name/nested-model.h"
	cmp -s "$HARNESS/guest/nested-model.h" "$D/$name/nested-model.h" &&
		fail "$name: the sed expression changes nothing in nested-model.h: update $BREAKS"
	echo "$what" >"$D/$name/what"
	guest_cc "$KST_GUEST/vmtest/nf-$name" "$D/$name/nested-fuzz.c" -lpthread
	echo "vmtest:nf-$name" >>"$LIST"
	names+=("$name")
done <"$BREAKS"

# Boot KERNEL's bzImage under another name, so that its results stay.
mkdir -p "$O/kbuild/$RUN/arch/x86/boot"
cp "$(kbuild_dir "$K")/arch/x86/boot/bzImage" "$O/kbuild/$RUN/arch/x86/boot/bzImage"
T='nf-*' "$HARNESS/vmtest.sh" test "$RUN" >"$LOGS/$RUN.log" 2>&1 || true

caught=0
printf '%-24s %-8s %s\n' "broken model" verdict "what the fuzzer printed"
for name in "${names[@]}"; do
	verdict=$(awk -F'\t' -v k="nf-$name:model agrees on every chain" '$1 == k {print $2}' \
		"$O/results-$RUN.tsv" 2>/dev/null)
	seed=$(tr -d '\r' <"$O/console-$RUN.log" |
		sed -n "/selftests: vmtest: nf-$name\$/,/^ok\|^not ok/p" |
		grep -m1 -o 'FAIL chain [0-9]*: .*\|replay with VMTEST_SEED=[0-9]*' || true)
	if [ "$verdict" = FAIL ] && [ -n "$seed" ]; then
		caught=$((caught + 1))
		v=caught
	else
		v=MISSED
	fi
	printf '%-24s %-8s %s\n' "$name" "$v" "${seed:-${verdict:-no result}} ($(cat "$D/$name/what"))"
done
echo "fuzz-honesty: $caught of ${#names[@]} broken models caught (log: $LOGS/$RUN.log, console: $O/console-$RUN.log)"
[ "$caught" -eq "${#names[@]}" ]
