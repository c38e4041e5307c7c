package org.bootfarm.coordinator.cas;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The bytes uploads under way have claimed from the store's {@link StoreSpace}, and the check of each new claim
 * against the quota and the free-space reserve. A put claims what it will write before it writes it (all of a
 * declared size at once, else as bytes arrive) and closes its claim when it ends; a claim's bytes count against
 * the quota until the object is published (then the store's own total has them), and against the disk's free
 * space until they are written (then the file system's count has them).
 */
final class SpaceClaims {
  private final StoreSpace space;
  private final Path root;
  private final FileStore fileStore;
  private final LongSupplier storedBytes;
  /** Bytes claimed by open claims, and how many of them are on disk already: guarded by this. */
  private long claimed;
  private long written;

  SpaceClaims(StoreSpace space, Path root, LongSupplier storedBytes) throws IOException {
    this.space = space;
    this.root = root;
    this.fileStore = Files.getFileStore(root);
    this.storedBytes = storedBytes;
  }

  /**
   * A new, empty claim for one put of {@code id}; {@code limited} false: one the coordinator makes for itself,
   * counted but never refused.
   */
  Claim open(String id, boolean limited) {
    return new Claim(id, limited);
  }

  /** One put's claim: grown before bytes are written, told when they are, closed when the put ends. */
  final class Claim implements AutoCloseable {
    private final String id;
    private final boolean limited;
    private long mine;
    private long mineWritten;
    private boolean closed;

    private Claim(String id, boolean limited) {
      this.id = id;
      this.limited = limited;
    }

    /** Claims space so that {@code total} bytes of this upload are covered; refused if that crosses a limit. */
    void cover(long total) throws IOException {
      if (total > mine) {
        grow(total - mine, total);
      }
    }

    /** Notes that {@code n} more of the claimed bytes are on disk now. */
    void wrote(long n) {
      synchronized (SpaceClaims.this) {
        mineWritten += n;
        written += n;
      }
    }

    private void grow(long more, long total) throws IOException {
      synchronized (SpaceClaims.this) {
        long others = claimed - mine;
        long stored = storedBytes.getAsLong();
        if (!limited) {
          claimed += more;
          mine += more;
          return;
        }
        if (space.quotaBytes() > 0 && stored + claimed + more > space.quotaBytes()) {
          long over = stored + claimed + more - space.quotaBytes();
          throw new StoreFullException(StoreFullException.Limit.QUOTA, "upload of " + id + " refused: the artifact"
              + " store " + root + " holds " + StoreSpace.bytesText(stored) + " of its "
              + StoreSpace.bytesText(space.quotaBytes()) + " quota (--store-quota), uploads under way claim "
              + StoreSpace.bytesText(others) + " more, and this one needs " + StoreSpace.bytesText(total)
              + ": that is " + StoreSpace.bytesText(over) + " over; nothing was stored. Free space with 'bootfarm"
              + " gc' (unpin builds no longer needed first), or raise --store-quota; then send it again");
        }
        long usable = fileStore.getUsableSpace();
        long reserve = space.reserveOf(fileStore.getTotalSpace());
        long unwritten = claimed - written;
        if (usable - unwritten - more < reserve) {
          long under = reserve - (usable - unwritten - more);
          throw new StoreFullException(StoreFullException.Limit.RESERVE, "upload of " + id + " refused: the file"
              + " system of the artifact store " + root + " has " + StoreSpace.bytesText(usable) + " free, uploads"
              + " under way will write " + StoreSpace.bytesText(unwritten) + " more, and this one needs "
              + StoreSpace.bytesText(more) + " more: that would leave " + StoreSpace.bytesText(under) + " less"
              + " than the " + StoreSpace.bytesText(reserve) + " it keeps free (--store-reserve "
              + space.reserveText() + "); nothing was stored. Free space with 'bootfarm gc' or on the disk, or"
              + " lower --store-reserve; then send it again");
        }
        claimed += more;
        mine += more;
      }
    }

    /** Gives the claim back: the put published its object (counted by the store now) or stored nothing. */
    @Override
    public void close() {
      synchronized (SpaceClaims.this) {
        if (!closed) {
          closed = true;
          claimed -= mine;
          written -= mineWritten;
        }
      }
    }
  }
}
