/**
 * glibc malloc settings for every Node process in the router benchmark: keep freed 64 KB socket
 * buffers in the heap instead of trimming them back to the kernel and faulting them in again
 * (TARGETS.md; measured by malloc-check.ts). Use the same value in the router's run scripts.
 */
export const GLIBC_TUNABLES = 'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=1048576';
