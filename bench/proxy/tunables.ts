/**
 * glibc malloc settings for every Node process in the router benchmark: keep freed 64 KB socket
 * buffers in the heap instead of trimming them back to the kernel and faulting them in again
 * (TARGETS.md; measured by malloc-check.ts). The same value `phoenix router` starts the router with.
 */
export { ROUTER_GLIBC_TUNABLES as GLIBC_TUNABLES } from '../../bin/malloc-tuning.mjs';
