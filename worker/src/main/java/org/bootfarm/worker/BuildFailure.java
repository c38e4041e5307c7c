package org.bootfarm.worker;

/**
 * Why a build stopped. The kind decides the CLI's exit code (2 for a definition or input the
 * operator must fix, 1 otherwise) and, in the farm, whether retrying on another worker can help.
 */
public class BuildFailure extends Exception {

  /** The classes of failure an operator acts on differently. */
  public enum Kind {
    /** The repo definition is invalid. */
    DEFINITION(2, true),
    /** A build input (component, option) is missing or bad. */
    INPUT(2, true),
    /** A package does not exist or cannot be resolved. */
    PACKAGE(1, true),
    /** A package failed its checksum or signature check. */
    INTEGRITY(1, true),
    /** A repository or mirror could not be reached. */
    NETWORK(1, false),
    /** A repo hook (base.sh, staging.sh) exited non-zero. */
    HOOK(1, true),
    /** A tool the build drives failed or is missing on this worker. */
    TOOL(1, false),
    /** Anything else. */
    INTERNAL(1, false),
    /** The run was stopped before its end: the build was cancelled (by the coordinator, for a farm build). */
    CANCELLED(1, false);

    private final int exitCode;
    private final boolean deterministic;

    Kind(int exitCode, boolean deterministic) {
      this.exitCode = exitCode;
      this.deterministic = deterministic;
    }

    /** The exit code of {@code bootfarm build} for this kind. */
    public int exitCode() {
      return exitCode;
    }

    /** Whether the same inputs will fail the same way on any worker (so retrying is pointless). */
    public boolean deterministic() {
      return deterministic;
    }
  }

  private final Kind kind;

  public BuildFailure(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public BuildFailure(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
