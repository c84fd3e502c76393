# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [selftests] [initramfs]: tests come from the after
# tree, built against the after headers, statically linked; the same
# binaries run in both kernels.
#
# What the guest gets in /kselftest ($KST_GUEST), one kselftest-list.txt:
#   seccomp:seccomp_bpf, seccomp:seccomp_benchmark   the stock install
#   seccomp:seccomp_bpf_ia32     the same source built with $COMPAT_CFLAGS
#                                (-m32: compat syscalls, AUDIT_ARCH_I386)
#   vmtest:NAME                  the project's own guest programs (KTAP):
#                                harness/guest/$GUEST_PROGS, notif-compat
#                                (built with $COMPAT_CFLAGS), the
#                                libseccomp example's checks, and the OCI
#                                agent's under Debian's crun (crun-example,
#                                in a guest of the host's arch only: the
#                                initramfs gets the host's crun)

# Set by the arch data (harness/config/arch/$ARCH.sh); x86_64 defaults.
: "${COMPAT_CFLAGS=-m32}"
: "${COMPAT_SUFFIX=_ia32}"
: "${KST_MAKE_ARGS=}"
: "${TARGET_CC:=gcc}"
# Timeout of each vmtest: entry (run_kselftest.sh's settings file).
VMTEST_PROG_TIMEOUT=${VMTEST_PROG_TIMEOUT:-120}
# The project's guest programs (harness/guest/NAME.c, KTAP, -lpthread), in
# the order they run.
GUEST_PROGS=${GUEST_PROGS-notif-stress notif-fuzz nested-fuzz nested-stress}

# kst_make BUILD INSTALL CFLAGS [TARGET [TREE]]: the seccomp kselftests of
# TREE (a kernel of the table, default after), against the after headers.
kst_make() {
	local build=$1 install=$2 cflags=$3 target=${4:-install} tree=${5:-after} hdr log
	local -a extra

	hdr=$(kbuild_dir after)/usr/include
	read -ra extra <<<"$KST_MAKE_ARGS"
	log=$LOGS/selftests$ARCH_SUFFIX$([ "$cflags" = -static ] || echo -compat).log
	[ "$target" = install ] || log=$LOGS/kselftest-$target.log
	[ "$tree" = after ] || log=$LOGS/selftests-$tree$ARCH_SUFFIX.log
	mkdir -p "$build"
	run_logged selftests "$log" \
		env CFLAGS="$cflags" make -C "$TREES/$tree/tools/testing/selftests" \
		"${extra[@]}" TARGETS=seccomp O="$build" KHDR_INCLUDES="-isystem $hdr" \
		INSTALL_PATH="$install" -j"$JOBS" "$target"
	[ -x "$install/run_kselftest.sh" ] ||
		die selftests "run_kselftest.sh not installed in $install" "$log"
}

# guest_cc NAME SOURCE [LIBS...]: a static program for the guest.
# Built once into $O/kselftest/progs$ARCH_SUFFIX/ and copied: rebuilt only
# when OUT's copy there is older than the source, the headers it includes
# (the after uapi headers, kselftest.h, harness/guest/*.h) or the command.
guest_cc() {
	local out=$1 src=$2 hdr cache dep cmd
	local -a cc

	shift 2
	hdr=$(kbuild_dir after)/usr/include
	read -ra cc <<<"$TARGET_CC"
	cache=$O/kselftest/progs$ARCH_SUFFIX/$(basename "$out")
	cmd="${cc[*]} -static -O2 -Wall -Werror $* $src"
	mkdir -p "$(dirname "$cache")"
	if [ -f "$cache" ] && [ "$(cat "$cache.cmd" 2>/dev/null)" = "$cmd" ]; then
		for dep in "$src" "$hdr/linux/seccomp.h" \
			   "$TREES/after/tools/testing/selftests/kselftest.h" \
			   "$HARNESS"/guest/*.h; do
			[ "$dep" -ot "$cache" ] || { rm -f "$cache"; break; }
		done
	fi
	if [ ! -f "$cache" ]; then
		run_logged selftests "$LOGS/guest-progs$ARCH_SUFFIX.log" \
			"${cc[@]}" -static -O2 -Wall -Werror -isystem "$hdr" \
			-I "$TREES/after/tools/testing/selftests" -o "$cache" "$src" "$@"
		echo "$cmd" >"$cache.cmd"
	fi
	cp "$cache" "$out"
}

stage_selftests() {
	local which=${1:-after} tree=$TREES/after hdr guest=$KST_GUEST src name suite

	hdr=$(kbuild_dir after)/usr/include
	[ -f "$hdr/linux/seccomp.h" ] ||
		die selftests "after headers missing ($hdr): build the after kernel first"
	echo "[selftests] building seccomp kselftests (log: $LOGS/selftests$ARCH_SUFFIX.log)"
	kst_make "$KST_BUILD" "$KST_INSTALL" -static
	rm -rf "$guest"
	mkdir -p "$guest"
	cp -a "$KST_INSTALL/." "$guest/"
	if [ -n "$COMPAT_CFLAGS" ]; then
		kst_make "$KST_BUILD-compat" "$KST_INSTALL-compat" "-static $COMPAT_CFLAGS"
		cp "$KST_INSTALL-compat/seccomp/seccomp_bpf" \
			"$guest/seccomp/seccomp_bpf$COMPAT_SUFFIX"
		echo "seccomp:seccomp_bpf$COMPAT_SUFFIX" >>"$guest/kselftest-list.txt"
	fi
	# The seccomp_bpf of the trees that this kernel's row names (suites
	# in harness/config/kernels.sh), as seccomp:seccomp_bpf_NAME.
	if is_kernel "$which"; then
		for suite in $(kernel_field "$which" suites); do
			stage_tree "$suite"
			kst_make "$KST_BUILD-$suite" "$KST_INSTALL-$suite" -static install "$suite"
			cp "$KST_INSTALL-$suite/seccomp/seccomp_bpf" "$guest/seccomp/seccomp_bpf_$suite"
			echo "seccomp:seccomp_bpf_$suite" >>"$guest/kselftest-list.txt"
		done
	fi

	# The project's guest programs, a kselftest collection of their own.
	mkdir -p "$guest/vmtest"
	echo "timeout=$VMTEST_PROG_TIMEOUT" >"$guest/vmtest/settings"
	for name in $GUEST_PROGS; do
		src=$HARNESS/guest/$name.c
		guest_cc "$guest/vmtest/$name" "$src" -lpthread
		echo "vmtest:$name" >>"$guest/kselftest-list.txt"
	done
	if [ -n "$COMPAT_CFLAGS" ]; then
		local -a compat
		read -ra compat <<<"$COMPAT_CFLAGS"
		guest_cc "$guest/vmtest/notif-compat" "$HARNESS/guest/notif-compat.c" "${compat[@]}"
		echo "vmtest:notif-compat" >>"$guest/kselftest-list.txt"
	fi
	if [ -f "$TOP/examples/libseccomp/supervisor.c" ]; then
		guest_cc "$KST_DIR/libseccomp-supervisor" \
			"$TOP/examples/libseccomp/supervisor.c" -lseccomp -lcap
		cp "$HARNESS/guest/libseccomp-example.sh" "$guest/vmtest/libseccomp-example"
		echo "vmtest:libseccomp-example" >>"$guest/kselftest-list.txt"
	fi
	if [ -f "$TOP/examples/oci-agent/agent.c" ] && [ "$ARCH" = "$(uname -m)" ]; then
		guest_cc "$KST_DIR/oci-agent" "$TOP/examples/oci-agent/agent.c"
		guest_cc "$KST_DIR/oci-client" "$HARNESS/guest/oci-client.c"
		cp "$HARNESS/guest/crun-example.sh" "$guest/vmtest/crun-example"
		echo "vmtest:crun-example" >>"$guest/kselftest-list.txt"
	fi

	# The sample that continues, for the guest (kbuild links it against
	# the host's libc).
	guest_cc "$KST_DIR/user-trap" "$tree/samples/seccomp/user-trap.c"
	say selftests "$(tr '\n' ' ' <"$guest/kselftest-list.txt")installed in $guest"
}

# initramfs_dynamic ROOT NAME: the host's program NAME (in PATH, from the
# package NAME), dynamically linked, in ROOT, with every library ldd lists
# and the loader, each at its host path.
initramfs_dynamic() {
	local root=$1 prog lib libs

	prog=$(command -v "$2" || true)
	[ -f "${prog:-/nonexistent}" ] ||
		die initramfs "$2 not found: run 'harness/vmtest.sh deps' (package $2)"
	libs=$(ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}') ||
		die initramfs "ldd $prog failed"
	for lib in "$prog" $libs; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

stage_initramfs() {
	local root=$INITRAMFS_ROOT busybox=$GUEST_BUSYBOX applet prog

	# The arch's static busybox (harness/config/arch/$ARCH.sh): a path, or
	# a name to look up in PATH now, after [deps].
	case "$busybox" in
	*/*) ;;
	*) busybox=$(command -v "$busybox" || true) ;;
	esac
	[ -f "${busybox:-/nonexistent}" ] ||
		die initramfs "busybox for $ARCH not found (${busybox:-none}): run 'harness/vmtest.sh deps' (busybox-static)"
	if ldd "$busybox" >/dev/null 2>&1; then
		die initramfs "$busybox is dynamically linked: apt-get install busybox-static"
	fi
	[ -f "$GUEST_INIT" ] || die initramfs "guest init $GUEST_INIT not found"
	[ -f "$KST_GUEST/kselftest-list.txt" ] ||
		die initramfs "$KST_GUEST/kselftest-list.txt missing: run 'make selftests'"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
	cp "$busybox" "$root/bin/busybox"
	while read -r applet; do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done < <("$busybox" --list-full 2>/dev/null ||
		 # Another arch's busybox does not run here: the host's, of the
		 # same Debian version, has the same applets.
		 busybox --list-full)
	rm -f "$root/usr/bin/timeout"
	cp "$HARNESS/guest/timeout" "$root/usr/bin/timeout"
	cp "$GUEST_INIT" "$root/init"
	chmod 755 "$root/init"
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp -a "$KST_GUEST" "$root/kselftest"
	for prog in user-trap libseccomp-supervisor oci-agent oci-client; do
		if [ -f "$KST_DIR/$prog" ]; then
			cp "$KST_DIR/$prog" "$root/usr/bin/$prog"
		fi
	done
	# vmtest:crun-example: Debian's crun, with the libraries ldd names
	# and the loader, at the host's paths.
	if grep -qx vmtest:crun-example "$KST_GUEST/kselftest-list.txt"; then
		initramfs_dynamic "$root" crun
	fi
	# make kselftest-install's tarball, when there is one: the guest runs
	# it as a CI system would (vmtest.kselftest-tar=1).
	if [ -f "$KST_TARBALL" ]; then
		cp "$KST_TARBALL" "$root/kselftest.tar.gz"
	fi
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRAMFS"
	say initramfs "$INITRAMFS ($(du -h "$INITRAMFS" | cut -f1))"
}

# make kselftest-install: the standard kselftest install tree of the seccomp
# target for the after kernel, and its tarball (kselftest's gen_tar), with
# the target's config and settings, for any machine booted with the
# patched kernel: run_kselftest.sh -c seccomp.  Built apart from the
# harness's own tree, with nothing added.
cmd_kselftest_install() {
	local dir=$KST_PACKAGE

	stage_build after
	echo "[kselftest-install] seccomp target (log: $LOGS/kselftest-gen_tar.log)"
	rm -rf "$dir"
	kst_make "$KST_DIR/build-package" "$dir/kselftest" -static gen_tar
	mkdir -p "$(dirname "$KST_TARBALL")"
	mv "$dir/kselftest/kselftest-packages/kselftest.tar.gz" "$KST_TARBALL"
	rmdir "$dir/kselftest/kselftest-packages"
	# The merged kernel config a CI system needs: the target's own
	# fragment, which make vmtest merges and checks, as installed.
	cp "$dir/kselftest/seccomp/config" "$dir/config"
	say kselftest-install "tree $dir/kselftest, tarball $KST_TARBALL ($(du -h "$KST_TARBALL" | cut -f1)); run it with: ./run_kselftest.sh -c seccomp"
}
