/**
 * Buffers that carry a batch's bodies to the shadow thread (transferred, not copied), reused once
 * they come back. A fresh buffer per batch is a fresh allocation the kernel faults in page by page
 * (several faults per 64 KB sample once a batch passes malloc's mmap threshold).
 */

/** At most this many buffers wait for reuse. */
const SPARE_BUFFERS = 4;
/**
 * A buffer larger than this (bytes) is not kept for reuse, so spare buffers hold at most 16 MB
 * and a burst of huge bodies is not held on to.
 */
const SPARE_MAX_BYTES = 4 * 1024 * 1024;
/** Smallest buffer allocated (bytes); sizes are rounded up to a power of two so they fit later batches. */
const BUFFER_MIN_BYTES = 256 * 1024;

export class BatchBuffers {
  private readonly spare: ArrayBuffer[] = [];
  /** Buffers allocated since start; flat once buffers come back for reuse. */
  allocated = 0;

  /** `size` bytes in a buffer of its own (not from Node's pool, so it can be transferred), reused when one came back. */
  take(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.spare.length; i++) {
      const len = this.spare[i]!.byteLength;
      if (len >= size && (best < 0 || len < this.spare[best]!.byteLength)) best = i;
    }
    if (best >= 0) return Buffer.from(this.spare.splice(best, 1)[0]!, 0, size);
    this.allocated++;
    const capacity = size > SPARE_MAX_BYTES ? size : Math.max(BUFFER_MIN_BYTES, 2 ** Math.ceil(Math.log2(size)));
    // No zero-fill: every byte handed over is written first.
    return Buffer.allocUnsafeSlow(capacity).subarray(0, size);
  }

  /** A buffer the shadow thread is done with. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength > SPARE_MAX_BYTES) return;
    if (this.spare.length < SPARE_BUFFERS) {
      this.spare.push(buffer);
      return;
    }
    // Full: keep the larger buffers, which fit every batch the smaller ones do.
    let smallest = 0;
    for (let i = 1; i < this.spare.length; i++)
      if (this.spare[i]!.byteLength < this.spare[smallest]!.byteLength) smallest = i;
    if (this.spare[smallest]!.byteLength < buffer.byteLength) this.spare[smallest] = buffer;
  }
}
