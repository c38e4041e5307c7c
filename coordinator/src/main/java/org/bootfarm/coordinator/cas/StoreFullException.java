package org.bootfarm.coordinator.cas;

import java.io.IOException;

/**
 * An upload the store refused because it would cross the store's quota or eat into its file system's free-space
 * reserve ({@link StoreSpace}); nothing was stored. The message says what is full, by how much, and what to do.
 * The HTTP API answers it 507 Insufficient Storage.
 */
public final class StoreFullException extends IOException {
  /** What is full. */
  public enum Limit {
    /** The store's objects would hold more than {@code --store-quota}. */
    QUOTA,
    /** The file system would keep less free than {@code --store-reserve}. */
    RESERVE
  }

  private final Limit limit;

  StoreFullException(Limit limit, String message) {
    super(message);
    this.limit = limit;
  }

  public Limit limit() {
    return limit;
  }
}
