#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every shell file of the harness is shellcheck-clean (shellcheck -x, from
# the top of the checkout, so that the source= paths resolve): the
# committed ones (git ls-files), or all of them outside git.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
source "$here/lib.sh"
TOP=$(cd "$here/../.." && pwd)
cd "$TOP"

if ! command -v shellcheck >/dev/null; then
	t_ok "lint: shellcheck" "# SKIP shellcheck not installed"
	t_done
	exit 0
fi
if git rev-parse --git-dir >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files -- 'harness/*.sh' 'harness/lib/*.sh' \
		'harness/tests/*.sh' harness/guest/init harness/guest/timeout .ci/run)
else
	files=(harness/*.sh harness/lib/*.sh harness/guest/*.sh harness/tests/*.sh
	       harness/guest/init harness/guest/timeout .ci/run)
fi
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	t_check "lint: shellcheck -x $f" shellcheck -x "$f"
done
t_done
