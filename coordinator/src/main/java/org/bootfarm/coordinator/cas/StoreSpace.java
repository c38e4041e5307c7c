package org.bootfarm.coordinator.cas;

/**
 * How much of its disk the artifact store may fill (ADR 0041): an optional quota on the bytes its objects
 * hold, and a reserve of free space on its file system that no upload may eat into, the larger of {@code
 * reserveBytes} and {@code reservePercent} of the file system's size. {@link ArtifactStore#put} checks both
 * before it writes a byte (with the size the uploader declared) and again as bytes arrive (when it declared
 * none), counting what uploads under way still claim; an upload that would cross either is refused with a
 * {@link StoreFullException} and nothing is stored. Only uploads are refused: the build store lives elsewhere,
 * so submits go on.
 *
 * @param quotaBytes the most the store's objects may hold together; 0: no quota (the reserve still holds)
 * @param reserveBytes free bytes the file system keeps at least
 * @param reservePercent percent of the file system's size it keeps free at least (0 to 100)
 */
public record StoreSpace(long quotaBytes, long reserveBytes, int reservePercent) {
  /** No quota; keep at least max(1 GiB, 5 %) of the file system free. */
  public static final StoreSpace DEFAULT = new StoreSpace(0, 1L << 30, 5);
  /** No quota and no reserve: only the disk itself stops an upload (tests of other things). */
  public static final StoreSpace UNLIMITED = new StoreSpace(0, 0, 0);

  public StoreSpace {
    if (quotaBytes < 0 || reserveBytes < 0) {
      throw new IllegalArgumentException("a store quota and reserve are zero or more bytes, not " + quotaBytes
          + " and " + reserveBytes);
    }
    if (reservePercent < 0 || reservePercent > 100) {
      throw new IllegalArgumentException("a store reserve is 0 to 100 % of the file system, not " + reservePercent);
    }
  }

  /** This with {@code bytes} as its quota (0: none). */
  public StoreSpace withQuota(long bytes) {
    return new StoreSpace(bytes, reserveBytes, reservePercent);
  }

  /** The free bytes to keep on a file system of {@code totalBytes}: the larger of the two reserves. */
  public long reserveOf(long totalBytes) {
    return Math.max(reserveBytes, totalBytes / 100 * reservePercent);
  }

  /** How the reserve reads on the command line: {@code 1G,5%}. */
  public String reserveText() {
    return bytesText(reserveBytes) + "," + reservePercent + "%";
  }

  /** A byte count for people: {@code 1.5 GiB}, or bytes below 1 KiB. */
  public static String bytesText(long bytes) {
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (Math.abs(bytes) < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = -1;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    String number = String.format(java.util.Locale.ROOT, "%.1f", value);
    return (number.endsWith(".0") ? number.substring(0, number.length() - 2) : number) + " " + units[unit];
  }
}
