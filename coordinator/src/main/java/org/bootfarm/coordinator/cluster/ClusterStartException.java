package org.bootfarm.coordinator.cluster;

/** A node could not join the cluster; the message says why and what to do. */
public final class ClusterStartException extends Exception {
  private static final long serialVersionUID = 1L;

  public ClusterStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
