# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: make series (export a tree's commits to its patch
# directory, keeping the cover letter's text: the patch directory is the
# single source of truth, the cover letter included) and make paths.
#
# Which trees are exported, where to and with which subject prefix:
# harness/config/kernels.sh (patches, export).  `make series` exports the
# after tree to patches/; K=NAME another.

# The project's identity: the author and Signed-off-by: of the project's
# own patches, a placeholder for whoever posts them.  SENDER='Name
# <email>' exports with that person instead: their From: on the project's
# patches and the cover letter, their Signed-off-by: (and their address in
# the note of what was changed in someone else's patch), the trees
# untouched.  A posting must be signed by a person (the DCO,
# Documentation/process/submitting-patches.rst): see the README.
PROJECT_IDENTITY="Seed 6ee4f564 maintainers <maintainers@users.noreply.r-seed-6ee4f564.example>"

# The recipients beyond those that b4 finds with get_maintainer.pl, per
# exported tree ("|" between addresses).  linux-api for the uapi change,
# and the people of the v1 thread, at their addresses in MAINTAINERS (Tyler
# Hicks's: eCryptfs) or .mailmap; bpf@ is only a keyword hit (K: in
# MAINTAINERS) of the word "bpf" in seccomp code.
# For the RFC: linux-api, the author of the earlier nested-listener series
# and the people who reviewed it (the addresses they used there), and Jann
# Horn, who raised the bypass of older filters in 2019.
declare -A SERIES_EXTRA_CC=(
	[after]="linux-api@vger.kernel.org|Christian Brauner <brauner@kernel.org>|Tycho Andersen <tycho@tycho.pizza>|Jann Horn <jannh@google.com>|Tyler Hicks <code@tyhicks.com>"
	[nested]="linux-api@vger.kernel.org|Alexander Mikhalitsyn <aleksandr.mikhalitsyn@canonical.com>|Aleksa Sarai <cyphar@cyphar.com>|Andrei Vagin <avagin@gmail.com>|Tycho Andersen <tycho@tycho.pizza>|Christian Brauner <brauner@kernel.org>|Stéphane Graber <stgraber@stgraber.org>|Jann Horn <jannh@google.com>"
)
SERIES_DROP='^(bpf@vger\.kernel\.org)$'

# series_base NAME: the ref that tree NAME's series starts from: its base
# kernel's branch, or the import's tag.
series_base() {
	local base

	base=$(kernel_field "$1" base)
	if [ "$base" = import ]; then
		echo stock
	else
		echo "$base"
	fi
}

# series_recipients NAME: "to ADDR" and "cc ADDR" lines.  b4 prep
# --auto-to-cc runs get_maintainer.pl as b4 does for a posting; it runs in
# a throwaway clone (b4 keeps its state in the branch), cached by the files
# the series touches and MAINTAINERS.
series_recipients() {
	local which=$1 tree base key cache tmp line kind
	local -a extra

	tree=$(tree_dir "$which")
	base=$(series_base "$which")
	cache=$STAMPS/recipients-$which
	key=$( { git -C "$tree" diff --name-only "$base..HEAD"; sha256sum <"$tree/MAINTAINERS"; } |
		sha256sum | cut -d' ' -f1)
	if [ "$(head -n1 "$cache" 2>/dev/null)" != "$key" ]; then
		command -v b4 >/dev/null || die series "b4 not found: apt-get install b4"
		tmp=$(mktemp -d "$O/b4.XXXXXX")
		# shellcheck disable=SC2016 # sh -c with positional arguments
		run_logged series "$LOGS/series-b4.log" sh -c '
			git clone -q --shared -b "$3" "$1" "$2" &&
			cd "$2" && { git rev-parse -q --verify "refs/tags/$4" >/dev/null ||
				     git branch -q "$4" "origin/$4"; } &&
			git branch -q b4-base "$4" &&
			git config b4.prep-cover-strategy branch-description &&
			b4 prep -e b4-base && b4 prep --auto-to-cc' sh "$REPO" "$tmp/t" "$which" "$base"
		{
			echo "$key"
			git -C "$tmp/t" config "branch.$which.description" |
				sed -n 's/^To: /to /p; s/^Cc: /cc /p'
		} >"$cache"
		rm -rf "$tmp"
	fi
	tail -n +2 "$cache" | while read -r kind line; do
		[[ $line =~ $SERIES_DROP ]] || [ "$line" = "$(git -C "$tree" log -1 --format='%an <%ae>')" ] ||
			echo "$kind $line"
	done
	IFS='|' read -ra extra <<<"${SERIES_EXTRA_CC[$which]:-}"
	[ "${#extra[@]}" -eq 0 ] || printf 'cc %s\n' "${extra[@]}"
}

# as_sender TREE BASE: the commits BASE..HEAD of TREE copied with SENDER
# in place of the project's identity (author, and every mention in the
# message: Signed-off-by:, a note's address), same trees, same author
# dates; prints the new tip.  Without SENDER, HEAD.
as_sender() {
	local tree=$1 base=$2 parent c an ae ad msg sname semail pemail

	if [ -z "${SENDER:-}" ] || [ "$SENDER" = "$PROJECT_IDENTITY" ]; then
		git -C "$tree" rev-parse HEAD
		return
	fi
	[[ $SENDER =~ ^([^<>]*[^<> ])\ \<([^<>@ ]+@[^<> ]+)\>$ ]] ||
		die series "SENDER='$SENDER': give it as 'Full Name <address@example.org>'"
	sname=${BASH_REMATCH[1]}
	semail=${BASH_REMATCH[2]}
	pemail=${PROJECT_IDENTITY##*<}
	pemail=${pemail%>}
	parent=$(git -C "$tree" rev-parse "$base")
	for c in $(git -C "$tree" rev-list --reverse "$base..HEAD"); do
		an=$(git -C "$tree" log -1 --format=%an "$c")
		ae=$(git -C "$tree" log -1 --format=%ae "$c")
		ad=$(git -C "$tree" log -1 --format=%aI "$c")
		if [ "$an <$ae>" = "$PROJECT_IDENTITY" ]; then
			an=$sname
			ae=$semail
		fi
		msg=$(git -C "$tree" log -1 --format=%B "$c")
		msg=${msg//"$PROJECT_IDENTITY"/"$SENDER"}
		msg=${msg//"$pemail"/"$semail"}
		parent=$(GIT_AUTHOR_NAME=$an GIT_AUTHOR_EMAIL=$ae GIT_AUTHOR_DATE=$ad \
			GIT_COMMITTER_NAME=$sname GIT_COMMITTER_EMAIL=$semail GIT_COMMITTER_DATE=$ad \
			git -C "$tree" commit-tree "$c^{tree}" -p "$parent" <<<"$msg")
	done
	echo "$parent"
}

cmd_series() {
	local which=${1:-after} tree dir prefix base cover subject body n tip fname femail

	need_kernel series "$which"
	prefix=$(kernel_field "$which" export)
	[ -n "$prefix" ] ||
		die series "the $which tree is not exported: its export field in harness/config/kernels.sh is empty"
	tree=$(tree_dir "$which")
	dir=$TOP/$(kernel_field "$which" patches)
	[ "$which" != after ] || dir=$PATCHES_DIR
	base=$(series_base "$which")
	cover=$dir/0000-cover-letter.patch
	[ -d "$tree" ] || die series "no $which tree: run 'make vmtest K=$which' first"
	check_clean "$tree" series
	n=$(git -C "$tree" rev-list --count "$base..HEAD")
	[ "$n" -gt 0 ] || die series "the $which tree has no commits on top of '$base'"
	subject="*** SUBJECT HERE ***"
	body="*** BLURB HERE ***"
	if [ -f "$cover" ]; then
		# The Subject: header, unfolded.
		subject=$(awk '/^Subject: / {s = $0; next}
			s != "" && /^[ \t]/ {sub(/^[ \t]+/, " "); s = s $0; next}
			s != "" {print s; exit}' "$cover" | sed 's/^Subject: \[[^]]*\] //')
		# The blurb: after the headers, up to the shortlog.
		body=$(awk '
			!hdr && /^$/ {hdr = 1; next}
			hdr && /^[^ ].* \([0-9]+\):$/ {exit}
			hdr {print}' "$cover")
	fi
	local -a rcpt=()
	local kind addr
	while read -r kind addr; do
		rcpt+=("--$kind=$addr")
	done < <(series_recipients "$which")
	tip=$(as_sender "$tree" "$base")
	git -C "$tree" config "branch.$which.description" "$subject

$body"
	# format-patch takes the cover letter from the description of the
	# branch it exports: the sender's copy gets one too.
	if [ "$tip" != "$(git -C "$tree" rev-parse HEAD)" ]; then
		git -C "$tree" branch -f "$which-sender" "$tip"
		git -C "$tree" config "branch.$which-sender.description" "$subject

$body"
		tip=$which-sender
	else
		tip=HEAD
	fi
	rm -f "$dir"/*.patch
	mkdir -p "$dir"
	# The cover letter's From: is the last patch's author (the sender's,
	# or the project's), its Date: the last commit's, so that an unchanged
	# series exports to identical files.
	fname=$(git -C "$tree" log -1 --format=%an "$tip")
	femail=$(git -C "$tree" log -1 --format=%ae "$tip")
	GIT_COMMITTER_DATE=$(git -C "$tree" log -1 --format=%cI "$tip") \
	GIT_AUTHOR_NAME=$fname GIT_AUTHOR_EMAIL=$femail \
	GIT_COMMITTER_NAME=$fname GIT_COMMITTER_EMAIL=$femail \
	git -C "$tree" format-patch -q --cover-letter --cover-from-description=subject \
		--subject-prefix="$prefix" --base="$base" --zero-commit \
		"${rcpt[@]}" -o "$dir" "$base..$tip"
	git -C "$tree" rev-parse HEAD >"$STAMPS/$which.exported"
	say series "exported $n patch(es) and a cover letter to $dir (${#rcpt[@]} recipients, from b4 prep --auto-to-cc)${SENDER:+, as $SENDER}"
}

cmd_paths() {
	local k

	# Each kernel of harness/config/kernels.sh: its tree, its image, its
	# headers (headers_install's usr/), through the build/kbuild/ link.
	for k in $(kernel_names); do
		echo "$k-tree=$(tree_dir "$k")"
		echo "$k-kernel=$O/kbuild/$(kbuild_name "$k")/$KIMAGE"
		echo "$k-headers=$O/kbuild/$(kbuild_name "$k")/usr"
	done
	echo "kselftest-install=$KST_INSTALL"
	echo "initramfs=$O/initramfs.cpio.gz"
	echo "console-log=$O/console-after.log"
	echo "before-console-log=$O/console-before.log"
	echo "logs=$LOGS"
}
