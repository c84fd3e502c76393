# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [selftests] [initramfs]: tests come from the after
# tree, built against the after headers, statically linked; the same
# binaries run in both kernels.

stage_selftests() {
	local tree=$TREES/after hdr
	hdr=$(kbuild_dir after)/usr/include

	[ -f "$hdr/linux/seccomp.h" ] ||
		die selftests "after headers missing ($hdr): build the after kernel first"
	echo "[selftests] building seccomp kselftests (log: $LOGS/selftests.log)"
	mkdir -p "$KST_BUILD"
	run_logged selftests "$LOGS/selftests.log" \
		env CFLAGS="-static" make -C "$tree/tools/testing/selftests" \
		TARGETS=seccomp O="$KST_BUILD" KHDR_INCLUDES="-isystem $hdr" \
		INSTALL_PATH="$KST_INSTALL" -j"$JOBS" install
	[ -x "$KST_INSTALL/run_kselftest.sh" ] ||
		die selftests "run_kselftest.sh not installed in $KST_INSTALL" "$LOGS/selftests.log"
	# The sample, for the guest (kbuild links it against the host's
	# libc), and the guest's xattr reader that checks what it did.
	rm -f "$O/kselftest/user-continue"
	if [ -f "$tree/samples/seccomp/user-continue.c" ]; then
		run_logged selftests "$LOGS/sample.log" \
			gcc -static -Wall -O2 -isystem "$hdr" -o "$O/kselftest/user-continue" \
			"$tree/samples/seccomp/user-continue.c"
	fi
	run_logged selftests "$LOGS/sample.log" \
		gcc -static -Wall -O2 -o "$O/kselftest/xattr-get" "$HARNESS/guest/xattr-get.c"
	say selftests "$(tr '\n' ' ' <"$KST_INSTALL/kselftest-list.txt")installed in $KST_INSTALL"
}

stage_initramfs() {
	local root=$O/initramfs/root busybox applet

	busybox=$(command -v busybox || true)
	[ -n "$busybox" ] || die initramfs "busybox not found: apt-get install busybox-static"
	if ldd "$busybox" >/dev/null 2>&1; then
		die initramfs "$busybox is dynamically linked: apt-get install busybox-static"
	fi
	[ -f "$GUEST_INIT" ] || die initramfs "guest init $GUEST_INIT not found"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
	cp "$busybox" "$root/bin/busybox"
	while read -r applet; do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done < <("$busybox" --list-full)
	rm -f "$root/usr/bin/timeout"
	cp "$HARNESS/guest/timeout" "$root/usr/bin/timeout"
	cp "$GUEST_INIT" "$root/init"
	chmod 755 "$root/init"
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp -a "$KST_INSTALL" "$root/kselftest"
	if [ -f "$O/kselftest/user-continue" ]; then
		cp "$O/kselftest/user-continue" "$root/usr/bin/user-continue"
	fi
	cp "$O/kselftest/xattr-get" "$root/usr/bin/xattr-get"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$O/initramfs.cpio.gz"
	say initramfs "$O/initramfs.cpio.gz ($(du -h "$O/initramfs.cpio.gz" | cut -f1))"
}
