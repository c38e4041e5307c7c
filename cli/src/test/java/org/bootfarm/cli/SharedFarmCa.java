package org.bootfarm.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.IdentityException;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;

/**
 * One farm CA per test farm, in {@code <test dir>/farm-ca}: every process the test starts is given it
 * as {@code BOOTFARM_FARM_CA} and issues itself a certificate from it, so the farm's processes (two
 * coordinators of a failover test too) trust each other as a real farm's do, and a client in the
 * test's JVM gets a certificate of the same CA.
 */
final class SharedFarmCa {
  private SharedFarmCa() {}

  /** The test farm's CA directory, made on first use. */
  static synchronized Path of(Path testDir) throws IOException {
    try {
      return FarmCa.loadOrInit(testDir.resolve("farm-ca").toAbsolutePath(), "test").dir();
    } catch (IdentityException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Gives a {@code bootfarm coordinator|worker|standalone} process the test farm's CA. */
  static ProcessBuilder giveTo(ProcessBuilder builder, Path testDir) throws IOException {
    builder.environment().put(MemberOptions.FARM_CA_ENV, of(testDir).toString());
    return builder;
  }

  /** A client certificate named {@code name} of the test farm's CA, in {@code <test dir>/<name>-member}. */
  static MemberCredential client(Path testDir, String name) throws IOException, IdentityException {
    return member(testDir, name, NodeRole.CLIENT);
  }

  /**
   * A certificate of {@code role} named {@code name} of the test farm's CA, in {@code <test dir>/<name>-member}: a
   * worker's for an insider the test plays (or a stolen worker key).
   */
  static MemberCredential member(Path testDir, String name, NodeRole role) throws IOException, IdentityException {
    return FarmCa.load(of(testDir)).issueOrLoad(new MemberIdentity(name, role),
        testDir.resolve(name + "-member").toAbsolutePath());
  }
}
