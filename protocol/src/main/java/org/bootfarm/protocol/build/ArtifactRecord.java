package org.bootfarm.protocol.build;

/** One output file of a build, identified by its content. */
public record ArtifactRecord(String name, String sha256, long size) {}
