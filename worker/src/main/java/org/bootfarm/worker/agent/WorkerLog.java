package org.bootfarm.worker.agent;

/**
 * The worker agent's log: every line names the worker ({@code bootfarm worker ID: ...}) and goes
 * through {@link System.Logger}, so the process's logging decides where it ends up.
 */
record WorkerLog(String workerId) {
  private static final System.Logger LOG = System.getLogger(WorkerAgent.class.getName());

  /** Something that happened as it should: a build started, ended, was reported. */
  void info(String message) {
    LOG.log(System.Logger.Level.INFO, "bootfarm worker " + workerId + ": " + message);
  }

  /** Something that went wrong and was worked around, or that the operator should look at. */
  void warning(String message) {
    LOG.log(System.Logger.Level.WARNING, "bootfarm worker " + workerId + ": " + message);
  }
}
