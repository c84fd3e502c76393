#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check's base-commit step (step_base of harness/check/series.sh) on
# a made-up before tree and cover letter: it passes when the cover
# letter's base-commit: is the before tree's HEAD, and when not, it names
# the cause: the series to re-export (the before tree is the pinned
# source) or a source other than the pinned one (another Debian version,
# or KSRC).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
source "$here/lib.sh"
HARNESS=$(dirname "$here")
unset KSRC DEBIAN_SRC_VERSION

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What check/series.sh expects of check.sh.
TOP=$tmp/top O=$tmp/o CHK=$tmp/o/check LOGS=$tmp/o/logs
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@localhost
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@localhost
STEP_OUT=$tmp/step.out
step() { printf '%s %s: %s\n' "$2" "$1" "${3:-}" >"$STEP_OUT"; }
# shellcheck source=harness/config/kernels.sh
source "$HARNESS/config/kernels.sh"
# shellcheck source=harness/check/series.sh
source "$HARNESS/check/series.sh"
# The after kernel's series (patches/ on the before tree), as part series.
series_setup after

# shellcheck disable=SC2016 # a sed script: the quotes are meant
pinned=$(sed -n 's/^DEBIAN_SRC_VERSION=\${DEBIAN_SRC_VERSION:-\(.*\)}$/\1/p' "$HARNESS/lib/common.sh")
if [ -n "$pinned" ]; then
	t_ok "base: the pin is read off harness/lib/common.sh ($pinned)"
else
	t_fail "base: the pin is read off harness/lib/common.sh" "no DEBIAN_SRC_VERSION=\${DEBIAN_SRC_VERSION:-...} line"
fi

# before_tree SUBJECT: a before tree whose stock commit has SUBJECT (as
# [source] writes it) and a base patch on top; prints its HEAD.
before_tree() {
	local d=$O/trees/before

	rm -rf "$d" && mkdir -p "$d"
	git -C "$d" init -q -b before
	echo stock >"$d/f" && git -C "$d" add f && git -C "$d" commit -q -m "$1"
	git -C "$d" tag stock
	echo base >"$d/f" && git -C "$d" commit -q -am base
	git -C "$d" rev-parse HEAD
}

# cover BASE: a cover letter with base-commit: BASE (none if empty).
cover() {
	mkdir -p "$TOP/patches"
	{ echo "Subject: [PATCH v3 0/7] t"; echo; echo "-- "; [ -z "$1" ] || echo "base-commit: $1"; } \
		>"$TOP/patches/0000-cover-letter.patch"
}

# expect CASE PATTERN: step_base's one step matched PATTERN.
expect() {
	: >"$STEP_OUT"
	step_base
	if grep -qE -- "$2" "$STEP_OUT"; then
		t_ok "$1"
	else
		t_fail "$1" "step said: $(cat "$STEP_OUT")"$'\n'"expected: $2"
	fi
}

head=$(before_tree "Linux 6.12.117 (Debian linux-source-6.12 $pinned)")
cover "$head"
expect base-matches "^PASS series: .*: ${head:0:12}$"

cover 0123456789abcdef0123456789abcdef01234567
expect base-stale-series "^FAIL series: .*: base-commit: 0123456789ab, base ${head:0:12} \(from the pinned Linux .*\): run 'make series K=after'"

KSRC=$tmp/linux expect base-other-tree-ksrc "^FAIL .*the before tree is .*, not the pinned source \(linux-source-6.12 $pinned; KSRC=$tmp/linux\)"

head=$(before_tree "Linux 6.12.999 (Debian linux-source-6.12 6.12.999-1~deb12u1)")
expect base-other-debian-version "^FAIL .*: the before tree is 'Linux 6.12.999 \(Debian linux-source-6.12 6.12.999-1~deb12u1\)', not the pinned source \(linux-source-6.12 $pinned\)"

DEBIAN_SRC_VERSION=6.12.999-1~deb12u1 expect base-pin-from-the-environment "^FAIL .*\(from the pinned Linux 6.12.999 .*\): run 'make series K=after'"

cover ""
expect base-no-line "^FAIL .*: no base-commit: line in $TOP/patches/0000-cover-letter.patch"

t_done
