package org.bootfarm.protocol.build;

/**
 * Where an installed package file came from, as the package manager fetched it: enough for an operator
 * to find it upstream again, and for drift reports to say which repository moved. The farm's own copy is
 * found by the package's sha256 in its artifact store, never by this URL.
 *
 * @param repository the repository the package manager took it from: a dnf repo id ({@code photon-updates}),
 *     or for apt the archive's suite and component ({@code bookworm/main})
 * @param url        the package file's URL in that repository as the package manager fetched it
 */
public record PackageOrigin(String repository, String url) {}
