package org.bootfarm.cluster;

/** A node could not join the cluster; the message says why and what to do. */
public final class ClusterStartException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean noCoordinator;

  public ClusterStartException(String message, Throwable cause) {
    this(message, cause, false);
  }

  ClusterStartException(String message, Throwable cause, boolean noCoordinator) {
    super(message, cause);
    this.noCoordinator = noCoordinator;
  }

  /** Whether a worker failed only because no coordinator was up: trying again later may succeed. */
  public boolean noCoordinator() {
    return noCoordinator;
  }
}
