package org.bootfarm.protocol.api.v1;

/**
 * What one collection of a coordinator's artifact store freed and kept ({@code bootfarm gc}, {@code POST
 * /api/v1/gc}, {@link Addresses#GC}): retention keeps the artifacts, logs, components and inputs (the archived
 * packages) of the builds it keeps, and collects the rest.
 *
 * @param dryRun          true when nothing was deleted: the freed counts say what a collection would free now
 * @param freedObjects    objects deleted (or, for a dry run, that would be)
 * @param freedBytes      their bytes
 * @param freedInputs     how many of them were some build's archived inputs
 * @param keptObjects     hashes retention keeps (artifacts, logs, components and inputs of kept builds)
 * @param keptInputs      how many of those are archived inputs
 * @param pinnedObjects   objects pinned in the store itself, kept whatever the builds say
 * @param remainingObjects objects in the store after the collection
 * @param remainingBytes  their bytes
 */
public record CollectionReport(boolean dryRun, long freedObjects, long freedBytes, long freedInputs,
    long keptObjects, long keptInputs, long pinnedObjects, long remainingObjects, long remainingBytes) {

  /** One line for an operator. */
  public String describe() {
    return (dryRun ? "would free " : "freed ") + freedObjects + " artifact(s), " + freedBytes + " bytes ("
        + freedInputs + " of them archived inputs); keeping " + keptObjects + " referenced by kept, pinned and"
        + " unfinished builds (" + keptInputs + " of them archived inputs) and " + pinnedObjects
        + " pinned artifact(s); " + remainingObjects + " artifact(s), " + remainingBytes + " bytes "
        + (dryRun ? "in the store" : "remain");
  }
}
