#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tests of ktap.py's files for machines (--junit, --json, --ktap): the
# JUnit XML of every fixture in harness/tests/ktap/ is valid against
# harness/tests/schema/junit.xsd (xmllint) and has one testcase per leaf;
# the JSON's counts are the closing line's; the KTAP file parses to the
# same result.  And the schema can fail: broken files are refused.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
. "$HERE/lib.sh"

KTAP=("${PYTHON:-python3}" "$HERE/../ktap.py")
FIX=$HERE/ktap
XSD=$HERE/schema/junit.xsd
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! command -v xmllint >/dev/null; then
	t_ok "results: junit schema" "# SKIP xmllint not installed (libxml2-utils)"
	t_done
	exit 0
fi

# json_get FILE KEY: one value of the JSON summary.
json_get() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

for log in "$FIX"/*.log; do
	name=$(basename "$log" .log)
	out=$("${KTAP[@]}" --results "$TMP/$name.tsv" --junit "$TMP/$name.xml" \
		--json "$TMP/$name.json" --ktap "$TMP/$name.ktap" \
		--meta kernel=after --meta guest_seconds=12 "$log") || true
	if [ ! -s "$TMP/$name.xml" ] || [ ! -s "$TMP/$name.json" ] || [ ! -s "$TMP/$name.tsv" ]; then
		t_fail "results $name: ktap.py wrote no xml, json or tsv" "$out"
		continue
	fi
	t_check "results $name: junit valid" \
		xmllint --noout --schema "$XSD" "$TMP/$name.xml"
	leaves=$(wc -l <"$TMP/$name.tsv")
	cases=$(xmllint --xpath 'count(//testcase)' "$TMP/$name.xml" 2>&1 || true)
	tests=$(xmllint --xpath 'string(/testsuites/@tests)' "$TMP/$name.xml" 2>&1 || true)
	if [ "$cases" = "$leaves" ] && [ "$tests" = "$leaves" ]; then
		t_ok "results $name: one testcase per leaf ($leaves)"
	else
		t_fail "results $name: $cases testcases, tests=$tests, $leaves leaves"
	fi
	want=$(tail -n1 <<<"$out")
	got="ktap: $(json_get "$TMP/$name.json" passed || true) passed, $(json_get "$TMP/$name.json" failed || true) failed, $(json_get "$TMP/$name.json" skipped || true) skipped"
	if [ "$got" = "$want" ] && [ "$(json_get "$TMP/$name.json" guest_seconds || true)" = 12 ]; then
		t_ok "results $name: json counts and meta"
	else
		t_fail "results $name: json says '$got', closing line '$want'"
	fi
	if [ -s "$TMP/$name.ktap" ]; then
		again=$("${KTAP[@]}" "$TMP/$name.ktap" | tail -n1) || true
		if [ "$again" = "$want" ]; then
			t_ok "results $name: ktap file parses the same"
		else
			t_fail "results $name: ktap file gives '$again', console '$want'"
		fi
	fi
done

# A failure's message and the test's own lines reach the JUnit file.
if grep -q 'message="not ok"' "$TMP/one-fail.xml" &&
   grep -q 'Test terminated by assertion' "$TMP/one-fail.xml"; then
	t_ok "results: a failure carries the test's output"
else
	t_fail "results: one-fail.xml lacks the failure's output" "$(cat "$TMP/one-fail.xml")"
fi

# A failure outside KTAP (a splat) is a failed testcase, and counted.
"${KTAP[@]}" --junit "$TMP/splat.xml" --json "$TMP/splat.json" \
	--guest-error "kernel splat: BUG: KASAN: x" "$FIX/all-pass.log" >/dev/null
if xmllint --noout --schema "$XSD" "$TMP/splat.xml" 2>/dev/null &&
   grep -q 'name="guest"' "$TMP/splat.xml" &&
   [ "$(json_get "$TMP/splat.json" failed)" = 1 ]; then
	t_ok "results: a guest error is a failed vmtest:guest case"
else
	t_fail "results: guest error missing from splat.xml / splat.json"
fi

# The schema refuses: a testcase without a name, two outcomes in one case.
sed 's/<testcase classname="\([^"]*\)" name="[^"]*"/<testcase classname="\1"/' \
	"$TMP/one-fail.xml" >"$TMP/noname.xml"
t_expect_status "results: schema refuses a testcase without a name" 3 \
	xmllint --noout --schema "$XSD" "$TMP/noname.xml"
sed 's|</failure>|</failure><skipped message="x"/>|' "$TMP/one-fail.xml" >"$TMP/two.xml"
t_expect_status "results: schema refuses two outcomes in one testcase" 3 \
	xmllint --noout --schema "$XSD" "$TMP/two.xml"

t_done
