# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [source], import the stock source into
# $TREES/before as commit "stock".

# sh -c '...' sh ARGS: the single quotes are meant.
# shellcheck disable=SC2016

kernel_version() {
	awk -F' = ' '/^VERSION =/ {v=$2} /^PATCHLEVEL =/ {p=$2}
		/^SUBLEVEL =/ {s=$2} /^EXTRAVERSION =/ {e=$2; exit}
		END {printf "%s.%s.%s%s\n", v, p, s, e}' "$1/Makefile"
}

is_kernel_tree() {
	[ -f "$1/Makefile" ] && [ -f "$1/kernel/seccomp.c" ] &&
		[ -f "$1/include/uapi/linux/seccomp.h" ] &&
		[ -f "$1/scripts/kconfig/merge_config.sh" ] &&
		grep -q '^PATCHLEVEL =' "$1/Makefile"
}

# Prints an id of the source: changes when the source changes.
source_id() {
	if [ -z "${KSRC:-}" ]; then
		echo "import2:debian:$(debian_src_version):$(stat -c %s:%Y "$(debian_tarball)")"
	elif git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
		echo "import2:git:$(cd "$KSRC" && pwd):$(git -C "$KSRC" rev-parse HEAD)"
	else
		echo "import2:dir:$(cd "$KSRC" && pwd):$(stat -c %Y "$KSRC/Makefile")"
	fi
}

stage_source() {
	local id tmp=$TREES/.import src desc tarball

	if [ -n "${KSRC:-}" ]; then
		[ -d "$KSRC" ] || die source "KSRC=$KSRC does not exist"
		is_kernel_tree "$KSRC" ||
			die source "KSRC=$KSRC is not a kernel tree (no Makefile, kernel/seccomp.c or scripts/kconfig/merge_config.sh)"
		if git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1 &&
		   [ -n "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ]; then
			die source "KSRC=$KSRC has uncommitted changes; commit or stash them first (it is only read, never written)"
		fi
	else
		tarball=$(debian_tarball)
		[ -f "$tarball" ] ||
			die source "$tarball missing: run 'harness/vmtest.sh deps' (it fetches $DEBIAN_SRC_PKG $(debian_src_version)), or set KSRC=<kernel tree>"
	fi
	id=$(source_id)
	if [ -f "$STAMPS/source" ] && [ "$(cat "$STAMPS/source")" = "$id" ] &&
	   git -C "$REPO" rev-parse -q --verify refs/tags/stock >/dev/null 2>&1; then
		say source "Linux $(cat "$O/kernel-version") ($id), already imported"
		return
	fi

	# A new source: start over.  Trees are only ever built from a
	# source and the project's patches, so nothing of value is lost,
	# unless someone worked in a tree that exports its series (the
	# after tree): refuse then.  The builds inside the trees go too.
	local k
	for k in $(kernel_names); do
		[ -z "$(kernel_field "$k" export)" ] || check_unexported "$k"
	done
	echo "[source] importing $id into $REPO (log: $LOGS/source.log)"
	rm -rf "$tmp" "${TREES:?}"/* "$STAMPS"
	mkdir -p "$tmp" "$STAMPS"
	if [ -z "${KSRC:-}" ]; then
		# Debian's tarball is multi-block xz: decompress on every core.
		run_logged source "$LOGS/source.log" \
			tar -I 'xz -T0' -xf "$tarball" -C "$tmp" --strip-components=1
		desc="Debian $DEBIAN_SRC_PKG $(debian_src_version)"
	elif git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
		run_logged source "$LOGS/source.log" \
			sh -c 'git -C "$1" archive --format=tar HEAD | tar -x -C "$2"' sh "$KSRC" "$tmp"
		desc="$KSRC at $(git -C "$KSRC" rev-parse --short HEAD)"
	else
		run_logged source "$LOGS/source.log" \
			sh -c 'tar -C "$1" --exclude=.git -cf - . | tar -x -C "$2"' sh "$KSRC" "$tmp"
		desc="$KSRC"
	fi
	src=$(kernel_version "$tmp")
	# Debian's tarball ignores its whole top level (.gitignore "/*"):
	# add with -f, and drop that rule so that git status works.  Loose
	# objects stay uncompressed: 34 s instead of 53 s to add the tree
	# here, for 1.1 GiB more disk.
	if [ -f "$tmp/.gitignore" ]; then
		sed -i '/^\/\*$/d; /^!\/debian\/$/d' "$tmp/.gitignore"
	fi
	run_logged source "$LOGS/source.log" sh -c '
		cd "$1" && git init -q -b before . &&
		git config core.abbrev 12 && git config gc.auto 0 &&
		git config core.looseCompression 0 &&
		git add -f -A . &&
		GIT_AUTHOR_DATE=$3 GIT_COMMITTER_DATE=$3 git commit -q -m "$2" &&
		git tag stock' sh "$tmp" "Linux $src ($desc)" "$FIXED_DATE"
	mv "$tmp" "$REPO"
	echo "$src" >"$O/kernel-version"
	echo "$id" >"$STAMPS/source"
	say source "Linux $src from $desc imported"
}
