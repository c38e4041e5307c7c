package org.bootfarm.worker.stage;

import java.io.IOException;
import org.bootfarm.worker.BuildFailure;

/** One step of a build whose output is a deterministic archive (or the ISO) with a recorded sha256. */
public interface Stage {
  /** The stage's name in records and logs ({@code base}, {@code staging-bootstrap}, {@code assemble}). */
  String name();

  /**
   * Runs the stage on the context's trees and returns the sha256 of its output: the stage archive
   * for tree stages, the ISO for assembly.
   */
  String run(StageContext context) throws BuildFailure, IOException;
}
