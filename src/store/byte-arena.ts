/**
 * Short-lived byte strings as views of a few shared buffers, rather than
 * an ArrayBuffer each: the ≈ 20,000 latest values a block's computeRoot
 * reads before its changes, and the ≈ 40,000 keys and records its commit
 * hands LevelDB beside the nodes. Each ArrayBuffer of their own would be
 * allocated outside V8's heap and tracked by its collections until the
 * commit drops it.
 */
export class ByteArena {
  private chunk = Buffer.alloc(0);
  private used = 0;

  /** `chunkBytes`: the size of each shared buffer (a longer string gets one of its own). */
  constructor(private readonly chunkBytes = 256 * 1024) {}

  /**
   * Room for `length` bytes at {@link at} of the buffer returned: write
   * them there, then {@link claim} what was written. A view claimed is
   * never handed out again, so it stays valid as long as it is referenced.
   */
  reserve(length: number): Buffer {
    if (this.used + length > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, length));
      this.used = 0;
    }
    return this.chunk;
  }

  /** Where the room {@link reserve} made starts. */
  get at(): number {
    return this.used;
  }

  /** The first `length` bytes of the room reserved, as a Buffer. */
  claim(length: number): Buffer {
    const view = this.chunk.subarray(this.used, this.used + length);
    this.used += length;
    return view;
  }

  /** `length` new bytes (to be filled by the caller) as a plain Uint8Array. */
  take(length: number): Uint8Array {
    const chunk = this.reserve(length);
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset + this.used, length);
    this.used += length;
    return view;
  }
}
