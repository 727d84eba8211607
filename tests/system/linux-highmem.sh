#!/bin/sh
# linux-highmem.sh - linux.sh with 1 GiB of RAM. Debian's 686 kernel then
# keeps user page tables and user pages in high memory and reaches each
# through a kmap slot (a fixmap PTE written, used, cleared, invlpg'd):
# every page-table walk, copy-on-write and page zeroing remaps a kernel
# page, which the shadow and the kernel TLB must follow exactly.
LINUX_MEM=1024 LINUX_LOG=linux-highmem-boot.log \
	exec "$(dirname "$0")/linux.sh"
