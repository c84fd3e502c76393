# shellcheck shell=bash disable=SC2034
# (assignments: common.sh reads them)
# SPDX-License-Identifier: GPL-2.0
# ARCH=arm64: the same names as x86_64.sh (see there), sourced by
# harness/lib/common.sh.
#
# The toolchain is LLVM's (clang, ld.lld, llvm-*), with the arm64 libc,
# libgcc and libcap of Debian's cross and multiarch packages: Debian 12's
# gcc-multilib, which the ia32 compat build of the x86_64 kselftests needs,
# Conflicts with gcc-12-aarch64-linux-gnu, so aarch64-linux-gnu-gcc and
# gcc -m32 cannot be installed together; clang needs neither.

ARCH_SUFFIX=-arm64
KMAKE_ARGS="ARCH=arm64 LLVM=1"
# arch/arm64/boot/Image.gz is built too; QEMU boots the plain Image.
KIMAGE=arch/arm64/boot/Image
ARCH_TINY_CONFIG=
ARCH_CONFIG=arch/arm64.config
# lib.mk: CC=clang --target=aarch64-linux-gnu (tools/scripts/Makefile.include).
KST_MAKE_ARGS="ARCH=arm64 LLVM=1"
TARGET_CC="clang --target=aarch64-linux-gnu"
COMPAT_CFLAGS=
COMPAT_SUFFIX=
# busybox-static:arm64 cannot be installed next to the amd64 one: [deps]
# extracts it under build/debs/ (the deb kind of harness/lib/deps.sh).
GUEST_BUSYBOX=$DEBS/busybox-static:arm64/bin/busybox
QEMU_BIN=qemu-system-aarch64
QEMU_MACHINE=virt
# pauth-impdef: QEMU's own pointer-authentication hash instead of QARMA,
# much faster under TCG.
QEMU_CPU=max,pauth-impdef=on
QEMU_KVM_CPU=
KCONSOLE=ttyAMA0
QEMU_MEM=1G
# -smp: two CPUs (-M virt describes them in its device tree).
QEMU_SMP=2
DEPS_ARCH_SCOPE=arm64
