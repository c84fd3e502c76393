#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ccache-check.sh [KERNEL] (make ccache-check): a kernel built through the
# compiler cache is the kernel built without it.  KERNEL (default after,
# a name of harness/config/kernels.sh; its tree must exist: make vmtest
# K=KERNEL) is built twice from its .config, in two scratch directories
# inside its tree: once with CCACHE_DISABLE=1, every object compiled, and
# once through ccache (harness/lib/kernel.sh, with its line-number
# normalisation, harness/ccache-cpp.sh), as the kernels of the harness are
# built.  The build's timestamp, user, host and number are fixed, so the
# two vmlinux files, and the two images, must be byte-identical.  Prints
# both checksums, what ccache gave the second build, and one closing line
# "ccache-check: identical" (exit 0) or "ccache-check: DIFFERENT" (exit 1,
# with the ELF sections that differ).  Costs one build without the cache.

set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/lib/load.sh
source "$HARNESS/lib/load.sh"

which=${1:-after}
need_kernel ccache-check "$which"
tree=$(tree_dir "$which")
config=$(kbuild_dir "$which")/.config
[ -f "$config" ] || die ccache-check "$config missing: run 'make vmtest K=$which' first"
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026"
export KBUILD_BUILD_USER=vmtest KBUILD_BUILD_HOST=vmtest KBUILD_BUILD_VERSION=1

# build NAME [ENV...]: the kernel in $tree/.kbuild-check-NAME
build() {
	local name=$1 kb=$tree/.kbuild-check-$1 t0

	shift
	rm -rf "$kb"
	mkdir -p "$kb"
	cp "$config" "$kb/.config"
	t0=$(date +%s)
	: >"$LOGS/ccache-check-$name.stats"
	env "$@" KMAKE_STATS="$LOGS/ccache-check-$name.stats" "$HARNESS/vmtest.sh" kmake \
		"$tree" "$kb" -j"$JOBS" all >"$LOGS/ccache-check-$name.log" 2>&1 ||
		die ccache-check "the $name build failed" "$LOGS/ccache-check-$name.log"
	echo "ccache-check: $name: $(( $(date +%s) - t0 ))s$(c=$(ccache_summary "$LOGS/ccache-check-$name.stats"); echo "${c:+, $c}")"
}

build nocache CCACHE_DISABLE=1
build ccache
a=$tree/.kbuild-check-nocache
b=$tree/.kbuild-check-ccache
rc=0
for f in vmlinux "$KIMAGE"; do
	echo "ccache-check: $f: $(sha256sum <"$a/$f" | cut -c1-16) without, $(sha256sum <"$b/$f" | cut -c1-16) with ccache"
	cmp -s "$a/$f" "$b/$f" || rc=1
done
if [ "$rc" -eq 0 ]; then
	rm -rf "$a" "$b"
	echo "ccache-check: identical"
else
	# Which sections differ, for the reader.
	for s in $(readelf -SW "$a/vmlinux" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p'); do
		cmp -s <(objcopy -O binary --only-section="$s" "$a/vmlinux" /dev/stdout 2>/dev/null) \
			<(objcopy -O binary --only-section="$s" "$b/vmlinux" /dev/stdout 2>/dev/null) ||
			echo "ccache-check: section $s differs"
	done
	echo "ccache-check: DIFFERENT (kept: $a, $b)"
fi
exit "$rc"
