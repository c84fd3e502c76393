# shellcheck shell=bash disable=SC2153
# SC2153: the globals of check.sh (PASSED, FAILED, LINE, O, LOGS, VMTEST, ...).
# SPDX-License-Identifier: GPL-2.0
# Sourced by check.sh: part 3, a series as a reviewer receives it: the
# series of a kernel of harness/config/kernels.sh whose tree is exported
# (after: patches/, part "series"; nested: rfc/, part "rfc").

# The steps are called through cached().
# shellcheck disable=SC2317

# ---------------------------------------------------------------------------
# 3. the series as a reviewer receives it (cached by input hash)

# series_setup KERNEL: the globals of the steps, for KERNEL's series.
#   SER        the kernel (after, nested)
#   SER_LABEL  how the steps call it: "series" (patches/) or its directory
#   SER_DIR    its patch directory
#   SER_TREE   its tree, where it is edited
#   SER_BASE   what its fresh tree starts from: the import (tag stock),
#              plus SER_BASE_PATCHES, the patches of its base kernel
#   FRESH      that tree, made afresh in every run (FRESH_KB: its build)
#   CACHE      where the steps' input hashes are kept
series_setup() {
	local base dir p

	SER=$1
	dir=$(kernel_field "$SER" patches)
	SER_DIR=$TOP/$dir
	SER_LABEL=$dir
	[ "$dir" != patches ] || SER_LABEL=series
	SER_TREE=$O/trees/$SER
	base=$(kernel_field "$SER" base)
	SER_BASE_PATCHES=()
	SER_BASE_TREE=
	if [ "$base" != import ]; then
		SER_BASE_TREE=$O/trees/$base
		for p in "$TOP/$(kernel_field "$base" patches)"/*.patch; do
			[[ $p == */0000-cover-letter.patch ]] || SER_BASE_PATCHES+=("$p")
		done
	fi
	FRESH=$CHK/fresh
	[ "$SER" = after ] || FRESH=$CHK/fresh-$SER
	# Its build directory inside it, as for the kernels
	# (harness/lib/kernel.sh: the same command lines as theirs, so ccache
	# has most objects).
	FRESH_KB=$FRESH/.kbuild
	CACHE=$CHK/cache
	[ "$SER" = after ] || CACHE=$CHK/cache-$SER
}

# The series without its cover letter, into the array "series".
series_patches() {
	local p

	series=()
	for p in "$SER_DIR"/0*.patch; do
		[[ $p == */0000-cover-letter.patch ]] || series+=("$p")
	done
}

inputs_id() {
	cat "$O/stamps/source" "${SER_BASE_PATCHES[@]}" "$SER_DIR"/*.patch \
		"$HARNESS/check.sh" "$HARNESS/check/series.sh" "$HARNESS/config/vm.config" \
		"$HARNESS"/config/arch/*.config | sha256sum | cut -d' ' -f1
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

# The series' base made afresh from the imported stock commit (the before
# tree for patches/, the stock tree for rfc/).  An existing worktree is
# reset to stock and cleaned rather than checked out again: only the files
# the patches touched are rewritten.
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
	git -C "$FRESH" clean -q -fdx -e /.kbuild >>"$LOGS/check-fresh.log" 2>&1 || return 1
	[ "${#SER_BASE_PATCHES[@]}" -eq 0 ] ||
		git -C "$FRESH" am -q --committer-date-is-author-date "${SER_BASE_PATCHES[@]}" \
			>>"$LOGS/check-fresh.log" 2>&1
}

# Not cached: the before tree is the one this run built.
step_base() {
	local title cover=$SER_DIR/0000-cover-letter.patch want got pinned from

	if [ -n "$SER_BASE_TREE" ]; then
		title="$SER_LABEL: the cover letter's base-commit: is the ${SER_BASE_TREE##*/} tree's HEAD"
	else
		title="$SER_LABEL: the cover letter's base-commit: is the import (the stock tree)"
	fi
	if [ -n "$SER_BASE_TREE" ]; then
		want=$(git -C "$SER_BASE_TREE" rev-parse -q --verify HEAD 2>/dev/null || true)
	else
		want=$(git -C "$O/trees/before" rev-parse -q --verify stock 2>/dev/null || true)
	fi
	got=$(sed -n 's/^base-commit: \([0-9a-f]*\)$/\1/p' "$cover" 2>/dev/null | head -n1 || true)
	if [ -z "$want" ]; then
		step "$title" FAIL "no base tree in $O/trees: run 'make vmtest' first"
	elif [ -z "$got" ]; then
		step "$title" FAIL "no base-commit: line in $cover: run 'make series'"
	elif [ "$got" != "$want" ]; then
		# The pin as harness/lib/common.sh sets it (check.sh does not
		# source it), unless the environment overrides it.
		# shellcheck disable=SC2016 # a sed script: the quotes are meant
		pinned=${DEBIAN_SRC_VERSION:-$(sed -n 's/^DEBIAN_SRC_VERSION=\${DEBIAN_SRC_VERSION:-\(.*\)}$/\1/p' "$HARNESS/lib/common.sh")}
		from=$(git -C "$O/trees/before" log -1 --format=%s stock 2>/dev/null || echo 'no stock tag')
		if [ -n "${KSRC:-}" ] || [[ $from != *"linux-source-6.12 $pinned)" ]]; then
			step "$title" FAIL "base-commit: ${got:0:12}, base ${want:0:12}: the before tree is '$from', not the pinned source (linux-source-6.12 $pinned${KSRC:+; KSRC=$KSRC}), and another source is another base: drop KSRC/DEBIAN_SRC_VERSION, or move the series to it with 'make series'"
		else
			step "$title" FAIL "base-commit: ${got:0:12}, base ${want:0:12} (from the pinned $from): run 'make series K=$SER' to regenerate ${SER_DIR##*/}/"
		fi
	else
		step "$title" PASS "${want:0:12}"
	fi
}

step_apply() {
	local title="$SER_LABEL: git am ${SER_DIR##*/}/*.patch on a fresh base tree" p failed
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
	if [ "$(git -C "$FRESH" rev-parse 'HEAD^{tree}')" != "$(git -C "$SER_TREE" rev-parse 'HEAD^{tree}')" ]; then
		step "$title" FAIL "applies, but the result differs from the $SER tree (run 'make series K=$SER'?)"
		return
	fi
	step "$title" PASS "result identical to the $SER tree"
}

step_checkpatch() {
	local title="$SER_LABEL: checkpatch.pl --strict: 0 errors, 0 warnings, 0 checks" log=$LOGS/check-checkpatch-$SER.log
	local e=0 w=0 c=0 line
	local -a series

	echo "$title" >"$CACHE/checkpatch.title"
	series_patches
	# UNKNOWN_COMMIT_ID: checkpatch looks a quoted commit up in git, and
	# the trees here are a tarball import without history; the ids quoted
	# (Fixes:) are mainline's.
	(cd "$SER_TREE" && perl scripts/checkpatch.pl --strict --show-types \
		--ignore UNKNOWN_COMMIT_ID "${series[@]}") >"$log" 2>&1 || true
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
		out=$(cd "$SER_TREE"; perl scripts/checkpatch.pl --strict --show-types "$p" 2>/dev/null) || true
		grep -q '^WARNING:FILE_PATH_CHANGES:' <<<"$out" || continue
		while read -r f; do
			out=$(cd "$SER_TREE"; perl scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f" 2>/dev/null) || true
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

# build_at TAG [WHAT...]: build at the fresh tree's HEAD what WHAT names
# (default all): kernel (kernel/seccomp.o with W=1, and sparse), headers
# (headers_install and samples/seccomp), selftests (the seccomp
# kselftests, static, against those headers).  Its output, without
# paths that differ between runs, is in $CHK/bisect-TAG.log.
build_at() {
	local tag=$1 log=$CHK/bisect-$SER-$1 what
	local -a whats

	shift
	whats=("$@")
	[ "${#whats[@]}" -gt 0 ] || whats=(kernel headers selftests)
	: >"$log-kernel.log"
	: >"$log-headers.log"
	: >"$log-selftests.log"
	for what in "${whats[@]}"; do
		case "$what" in
		kernel)
			touch "$FRESH/kernel/seccomp.c"
			"$VMTEST" kmake "$FRESH" "$FRESH_KB" -j"$JOBS" W=1 ${SPARSE:+C=1} kernel/seccomp.o \
				>"$log-kernel.log" 2>&1 || return 1 ;;
		headers)
			"$VMTEST" kmake "$FRESH" "$FRESH_KB" -j"$JOBS" headers_install samples/seccomp/ \
				>"$log-headers.log" 2>&1 || return 1 ;;
		selftests)
			rm -rf "$CHK/kst-$SER-$tag"
			env CFLAGS=-static make -C "$FRESH/tools/testing/selftests" TARGETS=seccomp \
				O="$CHK/kst-$SER-$tag" KHDR_INCLUDES="-isystem $FRESH_KB/usr/include" \
				-j"$JOBS" >"$log-selftests.log" 2>&1 || return 1 ;;
		esac
	done
	cat "$log-kernel.log" "$log-headers.log" "$log-selftests.log" >"$log.log"
}

# builds_of PATCH: what a patch can change of what build_at builds, by the
# files it touches; nothing for Documentation/ (Sphinx checks it) and
# MAINTAINERS.
builds_of() {
	local f
	local -A w=()

	while read -r f; do
		case "$f" in
		include/uapi/*) w[kernel]=1; w[headers]=1; w[selftests]=1 ;;
		kernel/* | include/* | arch/*) w[kernel]=1 ;;
		samples/*) w[headers]=1 ;;
		tools/*) w[selftests]=1 ;;
		Documentation/* | MAINTAINERS) ;;
		*) w[kernel]=1; w[headers]=1; w[selftests]=1 ;;
		esac
	done < <(git -C "$FRESH" diff --name-only HEAD^ HEAD)
	for f in kernel headers selftests; do
		[ -z "${w[$f]:-}" ] || echo "$f"
	done
}

step_bisect() {
	local title="$SER_LABEL: every patch builds on its own, no new warnings" base_w k p tag t0
	local -a series what

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
	"$VMTEST" kmake "$FRESH" "$FRESH_KB" olddefconfig >"$CHK/bisect-$SER-config.log" 2>&1
	echo "    building, where a patch can change it: kernel/seccomp.o (W=1${SPARSE:+, C=1 sparse}), headers and samples/seccomp, the selftests"
	t0=$(date +%s)
	if ! build_at base; then
		step "$title" FAIL "the base tree does not build, see $CHK/bisect-$SER-base-*.log"
		return
	fi
	echo "    base tree: all built ($(( $(date +%s) - t0 ))s)"
	base_w=$(warnings "$CHK/bisect-$SER-base.log")
	k=0
	for p in "${series[@]}"; do
		k=$((k + 1))
		tag=$(printf '%04d' "$k")
		git -C "$FRESH" am -q "$p" >>"$LOGS/check-fresh.log" 2>&1 ||
			{ step "$title" FAIL "$(basename "$p") does not apply"; return; }
		mapfile -t what < <(builds_of)
		if [ "${#what[@]}" -eq 0 ]; then
			echo "    $(basename "$p"): changes no build"
			continue
		fi
		t0=$(date +%s)
		if ! build_at "$tag" "${what[@]}"; then
			step "$title" FAIL "build breaks at $(basename "$p"), see $CHK/bisect-$SER-$tag-*.log"
			return
		fi
		local new
		new=$(comm -13 <(echo "$base_w") <(warnings "$CHK/bisect-$SER-$tag.log"))
		if [ -n "$new" ]; then
			printf '    %s\n' "${new//$'\n'/$'\n'    }"
			step "$title" FAIL "$(basename "$p") adds warnings, see $CHK/bisect-$SER-$tag.log"
			return
		fi
		echo "    $(basename "$p"): ${what[*]} build, no new warnings ($(( $(date +%s) - t0 ))s)"
	done
	step "$title" PASS "${#series[@]} patches${SPARSE:+, sparse clean}"
}

# The expectation of each series: harness/check/uapi/KERNEL.c, compiled
# against the kernel's exported headers, prints the first comment's
# "Prints" line.
step_uapi() {
	local title="$SER_LABEL: the uapi header compiles in userspace (-std=c99 -pedantic)"
	local src=$HARNESS/check/uapi/$SER.c bin=$CHK/uapi-$SER want out

	echo "$title" >"$CACHE/uapi.title"
	want=$(sed -n 's/^ \* .*Prints "\(.*\)"\.$/\1/p' "$src" 2>/dev/null | head -n1)
	if [ -z "$want" ]; then
		step "$title" FAIL "no $src with a 'Prints \"...\".' line"
		return
	fi
	if ! gcc -std=c99 -Wall -Wextra -Werror -pedantic -isystem "$O/kbuild/$SER/usr/include" \
		-o "$bin" "$src" >"$LOGS/check-uapi-$SER.log" 2>&1; then
		step "$title" FAIL "see $LOGS/check-uapi-$SER.log"
		return
	fi
	out=$("$bin")
	if [ "$out" = "$want" ]; then
		step "$title" PASS "$(basename "$src") printed '$out'"
	else
		step "$title" FAIL "printed '$out', want '$want'"
	fi
}

step_docs() {
	local title="$SER_LABEL: Sphinx build of Documentation/userspace-api, no warning about seccomp_filter.rst"
	local log=$LOGS/check-docs-$SER.log docs=$CHK/docs-$SER

	echo "$title" >"$CACHE/docs.title"
	echo "    sphinx-build (log: $log)"
	if ! make -C "$SER_TREE" O="$docs" SPHINXDIRS=userspace-api htmldocs >"$log" 2>&1; then
		step "$title" FAIL "htmldocs failed, see $log"
	elif grep -i 'seccomp_filter' "$log" | grep -qiE 'warning|error'; then
		grep -i 'seccomp_filter' "$log" | grep -iE 'warning|error' | sed 's/^/    /'
		step "$title" FAIL "see $log"
	elif [ ! -f "$docs/Documentation/output/userspace-api/seccomp_filter.html" ]; then
		step "$title" FAIL "seccomp_filter.html was not produced, see $log"
	else
		step "$title" PASS "$(grep -c 'WARNING' "$log" || true) warnings, none about seccomp_filter.rst"
	fi
}

step_maintainers() {
	local title="$SER_LABEL: get_maintainer.pl (informational)" log=$LOGS/check-get-maintainer-$SER.log
	local -a series

	series_patches
	if (cd "$SER_TREE" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		"${series[@]}") >"$log" 2>&1; then
		sed 's/^/    /' "$log"
		step "$title" PASS "$(wc -l <"$log") recipients"
	else
		step "$title" FAIL "see $log"
	fi
}

# check_series KERNEL: the steps for KERNEL's series (after: part
# "series", nested: part "rfc").
check_series() {
	series_setup "${1:-after}"
	echo "check: [3] $SER_LABEL: the series of the $SER tree as a reviewer receives it"
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
		*) step "$SER_LABEL: unknown step '$s'" FAIL ;;
		esac
	done
}
