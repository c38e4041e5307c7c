package org.bootfarm.protocol.api.v1;

/**
 * The body of {@code PUT /api/v1/builds/{id}/pin}: why the build and its artifacts are kept
 * whatever retention says (one line, e.g. "release 1.4 of photon-2.0"); shown as the artifacts'
 * pin reason {@code "build <id>: <reason>"}.
 */
public record PinRequest(String reason) {}
