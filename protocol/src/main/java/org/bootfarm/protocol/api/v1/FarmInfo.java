package org.bootfarm.protocol.api.v1;

/**
 * What a coordinator says about itself on {@link Addresses#INFO}: enough for a clustered client to
 * reach the parts of the API that are not on the event bus (uploads and downloads of artifacts).
 *
 * @param version      the coordinator's bootfarm version ({@code dev} when run from classes)
 * @param artifactsUrl base URL of its HTTP API, e.g. {@code http://10.0.0.1:8080}; artifacts are
 *     under {@code /api/v1/artifacts/{sha256}}
 */
public record FarmInfo(String version, String artifactsUrl) {}
