# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [before] [after], the trees made from the stock
# import by applying base/ and patches/ in place.

# Applying patches in place.  Files the patches do not change keep their
# mtime, so that kbuild only rebuilds what really changed.

# apply_series TREE BASE STAGE PATCH...: make TREE's HEAD = BASE + PATCHes.
apply_series() {
	local tree=$1 base=$2 stage=$3 old f saved
	local -a files=()

	shift 3
	old=$(git -C "$tree" rev-parse HEAD)
	saved=$(mktemp)
	# Remember the mtime of every file that the reset below rewrites.
	while IFS= read -r -d '' f; do
		if [ -f "$tree/$f" ]; then
			files+=("$f")
			printf '%s\0%s\0' "$f" "$(stat -c %y "$tree/$f")" >>"$saved"
		fi
	done < <(git -C "$tree" diff -z --name-only "$base" "$old")

	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" reset -q --hard "$base"
	if [ "$#" -gt 0 ] &&
	   ! git -C "$tree" am -q --committer-date-is-author-date "$@" \
		>"$LOGS/$stage-am.log" 2>&1; then
		local failed hunk
		failed=$(sed -n 's/^Patch failed at \(.*\)$/\1/p' "$LOGS/$stage-am.log")
		hunk=$(grep -m1 -E '^error: (patch failed|.*does not exist|.*already exists|corrupt patch)' \
			"$LOGS/$stage-am.log" || true)
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		rm -f "$saved"
		die "$stage" "patch ${failed:-?} does not apply: ${hunk:-see log} (log: $LOGS/$stage-am.log)" \
			"$LOGS/$stage-am.log"
	fi
	# Give back the old mtime to files whose content ended up unchanged.
	while IFS= read -r -d '' f && IFS= read -r -d '' mtime; do
		if [ -f "$tree/$f" ] &&
		   [ "$(git -C "$tree" rev-parse -q --verify "$old:$f" || true)" = \
		     "$(git -C "$tree" rev-parse -q --verify "HEAD:$f" || true)" ]; then
			touch -d "$mtime" "$tree/$f"
		fi
	done <"$saved"
	rm -f "$saved"
	git -C "$tree" update-index -q --refresh >/dev/null || true
}

patches_id() {
	local base=$1

	shift
	{ echo "$base"; cat "$@" 2>/dev/null; } | sha256sum | cut -d' ' -f1
}

base_patches() { compgen -G "$BASE_DIR/*.patch" | sort || true; }
series_patches() {
	compgen -G "$PATCHES_DIR/*.patch" | grep -v '/0000-cover-letter.patch$' | sort || true
}

check_clean() {
	local tree=$1 stage=$2

	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		die "$stage" "$tree has uncommitted changes: commit them (and run 'make series') or 'git -C $tree stash'; nothing was touched"
	fi
}

# The after tree is where the series is edited.  Refuse to rewrite it when
# it holds work that patches/ does not have.
check_after_unchanged() {
	local tree=$TREES/after head

	[ -d "$tree" ] || return 0
	check_clean "$tree" after
	head=$(git -C "$tree" rev-parse HEAD)
	if [ "$head" != "$(cat "$STAMPS/after.applied" 2>/dev/null)" ] &&
	   [ "$head" != "$(cat "$STAMPS/after.exported" 2>/dev/null)" ]; then
		die after "$tree has commits that are not in patches/ (HEAD $head): run 'make series' to export them, or 'git -C $tree reset --hard $(cat "$STAMPS/after.applied" 2>/dev/null)' to drop them"
	fi
}

stage_before() {
	local tree=$TREES/before id
	local -a patches

	mapfile -t patches < <(base_patches)
	[ "${#patches[@]}" -gt 0 ] || die before "no base patch (*.patch) found in $BASE_DIR"
	id=$(patches_id "$(git -C "$tree" rev-parse stock)" "${patches[@]}")
	if [ "$(cat "$STAMPS/before" 2>/dev/null)" = "$id" ] &&
	   [ "$(git -C "$tree" rev-parse HEAD)" = "$(cat "$STAMPS/before.applied" 2>/dev/null)" ]; then
		check_clean "$tree" before
		say before "${#patches[@]} base patch(es) already applied"
		return
	fi
	check_clean "$tree" before
	check_after_unchanged
	rm -f "$STAMPS/before" "$STAMPS/after"
	# --committer-date-is-author-date: the before commit id is reproducible.
	apply_series "$tree" stock before "${patches[@]}"
	git -C "$tree" rev-parse HEAD >"$STAMPS/before.applied"
	echo "$id" >"$STAMPS/before"
	say before "applied ${#patches[@]} base patch(es): before = $(git -C "$tree" rev-parse --short HEAD)"
}

stage_after() {
	local tree=$TREES/after id
	local -a patches

	mapfile -t patches < <(series_patches)
	if [ ! -d "$tree" ]; then
		git -C "$TREES/before" worktree prune
		run_logged after "$LOGS/after.log" \
			git -C "$TREES/before" worktree add -q -B after "$tree" before
		git -C "$tree" rev-parse HEAD >"$STAMPS/after.applied"
	fi
	id=$(patches_id "$(git -C "$TREES/before" rev-parse before)" "${patches[@]}")
	if [ "$(cat "$STAMPS/after" 2>/dev/null)" = "$id" ] &&
	   [ "$(git -C "$tree" rev-parse HEAD)" = "$(cat "$STAMPS/after.applied" 2>/dev/null)" ]; then
		check_clean "$tree" after
		say after "${#patches[@]} series patch(es) already applied"
		return
	fi
	check_after_unchanged
	rm -f "$STAMPS/after"
	apply_series "$tree" before after "${patches[@]}"
	git -C "$tree" rev-parse HEAD >"$STAMPS/after.applied"
	echo "$id" >"$STAMPS/after"
	if [ "${#patches[@]}" -eq 0 ]; then
		say after "no patches/ series yet: after = before"
	else
		say after "applied ${#patches[@]} series patch(es): after = $(git -C "$tree" rev-parse --short HEAD)"
	fi
}
