# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [before] [after] [stock] ... (stage_tree), the
# trees of harness/config/kernels.sh, made from the stock import by
# applying their patches in place.

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

# kernel_patches NAME: the patches of kernel NAME's tree, in order, the
# cover letter left out.
kernel_patches() {
	local dir

	dir=$(kernel_field "$1" patches)
	[ -n "$dir" ] || return 0
	case "$dir" in
	base) dir=$BASE_DIR ;;
	patches) dir=$PATCHES_DIR ;;
	*) dir=$TOP/$dir ;;
	esac
	compgen -G "$dir/*.patch" | grep -v '/0000-cover-letter.patch$' | sort || true
}

check_clean() {
	local tree=$1 stage=$2

	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		die "$stage" "$tree has uncommitted changes: commit them (and run 'make series') or 'git -C $tree stash'; nothing was touched"
	fi
}

# A tree whose series is exported (the export field) is where that series
# is edited.  Refuse to rewrite it when it holds work that its patch
# directory does not have.
check_unexported() {
	local name=$1 tree head

	tree=$(tree_dir "$name")
	[ -d "$tree" ] || return 0
	check_clean "$tree" "$name"
	head=$(git -C "$tree" rev-parse HEAD)
	if [ "$head" != "$(cat "$STAMPS/$name.applied" 2>/dev/null)" ] &&
	   [ "$head" != "$(cat "$STAMPS/$name.exported" 2>/dev/null)" ]; then
		die "$name" "$tree has commits that are not in $(kernel_field "$name" patches)/ (HEAD $head): run 'make series' to export them, or 'git -C $tree reset --hard $(cat "$STAMPS/$name.applied" 2>/dev/null)' to drop them"
	fi
}

# stage_tree NAME: [NAME] the tree of kernel NAME is its base plus its
# patches (harness/config/kernels.sh), applied in place; its base tree
# first.  The before tree is the repository itself (the import).
declare -A STAGED_TREES=()
stage_tree() {
	local name=$1 tree base dir what id from
	local -a patches

	need_kernel "$name" "$name"
	# Once a run: a tree is also the base of others.
	[ -z "${STAGED_TREES[$name]:-}" ] || return 0
	STAGED_TREES[$name]=1
	tree=$(tree_dir "$name")
	base=$(kernel_field "$name" base)
	dir=$(kernel_field "$name" patches)
	if [ "$base" = import ]; then
		from=$(git -C "$REPO" rev-parse stock)
	else
		stage_tree "$base"
		from=$(git -C "$(tree_dir "$base")" rev-parse HEAD)
	fi
	mapfile -t patches < <(kernel_patches "$name")
	if [ -n "$dir" ] && [ "${#patches[@]}" -eq 0 ] && [ "$name" = before ]; then
		die before "no base patch (*.patch) found in $BASE_DIR"
	fi
	if [ ! -d "$tree" ]; then
		git -C "$REPO" worktree prune
		if [ -n "$dir" ]; then
			run_logged "$name" "$LOGS/$name-tree.log" \
				git -C "$REPO" worktree add -q -B "$name" "$tree" "$from"
		else
			run_logged "$name" "$LOGS/$name-tree.log" \
				git -C "$REPO" worktree add -q --detach "$tree" "$from"
		fi
		git -C "$tree" rev-parse HEAD >"$STAMPS/$name.applied"
	fi
	what="${#patches[@]} patch(es) of ${dir:-none}/"
	id=$(patches_id "$from" "${patches[@]}")
	if [ "$(cat "$STAMPS/$name" 2>/dev/null)" = "$id" ] &&
	   [ "$(git -C "$tree" rev-parse HEAD)" = "$(cat "$STAMPS/$name.applied" 2>/dev/null)" ]; then
		check_clean "$tree" "$name"
		say "$name" "$what already applied"
		return
	fi
	check_clean "$tree" "$name"
	[ -z "$(kernel_field "$name" export)" ] || check_unexported "$name"
	rm -f "$STAMPS/$name"
	# --committer-date-is-author-date: the commit ids are reproducible.
	apply_series "$tree" "$from" "$name" "${patches[@]}"
	git -C "$tree" rev-parse HEAD >"$STAMPS/$name.applied"
	echo "$id" >"$STAMPS/$name"
	if [ -z "$dir" ]; then
		say "$name" "$tree at ${base/import/the import}, $(git -C "$tree" rev-parse --short HEAD)"
	elif [ "${#patches[@]}" -eq 0 ]; then
		say "$name" "no $dir/ series yet: $name = $base"
	else
		say "$name" "applied $what: $name = $(git -C "$tree" rev-parse --short HEAD)"
	fi
}
