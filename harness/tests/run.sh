#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the host-side harness tests: every harness/tests/t-*.sh in name order
# (or the t-*.sh given as arguments), each in its own bash process.  Prints
# their "ok - ..." / "not ok - ..." lines (and "#" detail lines), then one
# closing line "harness-tests: N passed, N failed" counting test cases.
# A script that exits non-zero without reporting a failure, or that reports
# no test case at all, counts as one failure.  Exit status 1 if anything
# failed.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $# -gt 0 ]]; then
	scripts=("$@")
else
	scripts=("$here"/t-*.sh)
fi

passed=0
failed=0
errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT

for script in "${scripts[@]}"; do
	if [[ ! -f $script && -f $here/$script ]]; then
		script=$here/$script
	fi
	name=$(basename "$script")
	if [[ ! -f $script ]]; then
		echo "not ok - $name: no such test script"
		failed=$((failed + 1))
		continue
	fi
	rc=0
	out=$(bash "$script" 2>"$errlog") || rc=$?
	reported=0
	script_failed=0
	while IFS= read -r line; do
		case $line in
		"ok - "*)
			passed=$((passed + 1))
			reported=$((reported + 1))
			;;
		"not ok - "*)
			failed=$((failed + 1))
			reported=$((reported + 1))
			script_failed=$((script_failed + 1))
			;;
		"#"*) ;;
		*) continue ;;
		esac
		printf '%s\n' "$line"
	done <<<"$out"
	if [[ $rc -ne 0 && $script_failed -eq 0 ]]; then
		echo "not ok - $name: exited with status $rc without reporting a failure"
		failed=$((failed + 1))
	elif [[ $reported -eq 0 ]]; then
		echo "not ok - $name: reported no test case"
		failed=$((failed + 1))
	fi
	if [[ $rc -ne 0 && -s $errlog ]]; then
		tail -n 20 "$errlog" | sed 's/^/# stderr: /'
	fi
done

echo "harness-tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
