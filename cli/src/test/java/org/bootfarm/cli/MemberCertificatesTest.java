package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bootfarm ca init} and {@code ca issue}, and how a node comes by its farm certificate
 * ({@link MemberOptions}): an issued member directory, a CA on this machine, or a coordinator's own CA;
 * a worker with none does not start.
 */
@Tag("unit")
class MemberCertificatesTest {
  @TempDir Path dir;

  @Test
  void caInitMakesACaAndRefusesToReplaceIt() {
    Path ca = dir.resolve("ca");
    CliRun made = CliRun.inProcess("ca", "init", ca.toString());
    assertEquals(0, made.exitCode, made::toString);
    assertTrue(Files.exists(ca.resolve("ca.key")) && Files.exists(ca.resolve("ca.pem")), made::toString);
    assertTrue(made.stdout.contains("bootfarm ca issue --ca " + ca.toAbsolutePath()), made::toString);

    CliRun again = CliRun.inProcess("ca", "init", ca.toString());
    assertEquals(2, again.exitCode, again::toString);
    assertTrue(again.stderr.contains("holds a farm CA already"), again::toString);
  }

  @Test
  void caIssueWritesAMemberDirectoryAndSaysHowToStartTheNode() throws Exception {
    Path ca = dir.resolve("ca");
    assertEquals(0, CliRun.inProcess("ca", "init", ca.toString()).exitCode);
    CliRun issued = CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "worker", "build-7");
    assertEquals(0, issued.exitCode, issued::toString);
    Path member = ca.resolve("members/build-7").toAbsolutePath();
    assertTrue(issued.stdout.contains("--member-dir " + member), issued::toString);
    assertEquals(new MemberIdentity("build-7", NodeRole.WORKER), MemberCredential.load(member).identity());

    CliRun twice = CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "worker", "build-7");
    assertEquals(2, twice.exitCode, twice::toString);
    assertTrue(twice.stderr.contains("holds a member key already"), twice::toString);
  }

  @Test
  void caIssueHostPutsTheNamesIntoTheCertificateAndSaysHowToServeHttps() throws Exception {
    Path ca = dir.resolve("ca-https");
    assertEquals(0, CliRun.inProcess("ca", "init", ca.toString()).exitCode);
    Path out = dir.resolve("https-member").toAbsolutePath();
    CliRun issued = CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "coordinator", "--host",
        "farm.example.org", "--host", "10.0.0.1", "--out", out.toString(), "coordinator-1");
    assertEquals(0, issued.exitCode, issued::toString);
    assertTrue(issued.stdout.contains("--tls-cert " + out.resolve("member.pem") + " --tls-key "
        + out.resolve("member.key")), issued::toString);
    Collection<List<?>> names = MemberCredential.load(out).certificate()
        .getSubjectAlternativeNames();
    assertEquals(Set.of(List.of(2, "farm.example.org"), List.of(7, "10.0.0.1")),
        Set.copyOf(names), "DNS name (2) and IP address (7)");

    CliRun bad = CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "coordinator", "--host",
        "not a host!", "--out", dir.resolve("bad-host").toString(), "coordinator-2");
    assertEquals(2, bad.exitCode, bad::toString);
    assertTrue(bad.stderr.contains("'not a host!' is neither a DNS name nor an IP address"), bad::toString);
  }

  @Test
  void caIssueRefusesABadRoleABadNameAndAMissingCa() {
    Path ca = dir.resolve("ca");
    assertEquals(0, CliRun.inProcess("ca", "init", ca.toString()).exitCode);
    CliRun role = CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "admin", "x");
    assertEquals(2, role.exitCode, role::toString);
    assertTrue(role.stderr.contains("not one of coordinator, worker, client"), role::toString);
    CliRun name = CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "worker", "../x");
    assertEquals(2, name.exitCode, name::toString);
    assertTrue(name.stderr.contains("member name '../x'"), name::toString);
    CliRun missing = CliRun.inProcess("ca", "issue", "--ca", dir.resolve("nothing").toString(), "--role", "worker", "x");
    assertEquals(2, missing.exitCode, missing::toString);
    assertTrue(missing.stderr.contains("bootfarm ca init"), missing::toString);
  }

  @Test
  void workerWithoutAnyCertificateIsRefusedNamingTheThreeWays() {
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.resolve("w").toString(), "--join", "127.0.0.1:1");
    assertEquals(1, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("--member-dir") && run.stderr.contains("--farm-ca")
        && run.stderr.contains("<data-dir>/farm-ca") && run.stderr.contains("bootfarm standalone"), run::toString);
    assertFalse(Files.exists(dir.resolve("w/member")), run::toString);
  }

  @Test
  void workerIdThatDiffersFromItsCertificateIsRefusedNamingBoth() {
    Path ca = dir.resolve("ca");
    assertEquals(0, CliRun.inProcess("ca", "init", ca.toString()).exitCode);
    assertEquals(0, CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "worker", "build-7").exitCode);
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.resolve("w").toString(), "--join", "127.0.0.1:1",
        "--member-dir", ca.resolve("members/build-7").toString(), "--worker-id", "build-8");
    assertEquals(1, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("--worker-id build-8") && run.stderr.contains("build-7"), run::toString);
  }

  @Test
  void workerGivenACoordinatorsCertificateIsRefusedBeforeJoining() {
    Path ca = dir.resolve("ca");
    assertEquals(0, CliRun.inProcess("ca", "init", ca.toString()).exitCode);
    assertEquals(0, CliRun.inProcess("ca", "issue", "--ca", ca.toString(), "--role", "coordinator", "c-1").exitCode);
    CliRun run = CliRun.inProcess("worker", "--data-dir", dir.resolve("w").toString(), "--join", "127.0.0.1:1",
        "--member-dir", ca.resolve("members/c-1").toString());
    assertEquals(1, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("names coordinator 'c-1', not a worker"), run::toString);
  }

  @Test
  void coordinatorWithoutACertificateMakesItsOwnCaOnceAndKeepsIt() throws Exception {
    Path data = dir.resolve("c");
    MemberOptions options = new MemberOptions();
    MemberCredential first = options.coordinator(data, "bootfarm", "127.0.0.1", 5701);
    assertEquals(new MemberIdentity("coordinator-127.0.0.1-5701", NodeRole.COORDINATOR), first.identity());
    assertTrue(Files.exists(data.resolve("farm-ca/ca.key")));
    MemberCredential second = options.coordinator(data, "bootfarm", "127.0.0.1", 5701);
    assertEquals(first.certificate(), second.certificate(), "the second start reuses the first's certificate");
  }

  @Test
  void workerIssuesItselfACertificateNamedByItsIdFromACaOnThisMachine() throws Exception {
    Path ca = dir.resolve("ca");
    assertEquals(0, CliRun.inProcess("ca", "init", ca.toString()).exitCode);
    MemberOptions options = new MemberOptions();
    options.farmCa = ca;
    MemberOptions.WorkerMember member = options.worker(null, dir.resolve("w"), flag -> "kept-id");
    assertEquals("kept-id", member.workerId());
    assertEquals(new MemberIdentity("kept-id", NodeRole.WORKER), member.credential().identity());
    assertEquals(dir.resolve("w/member").toAbsolutePath(), member.credential().dir());
  }
}
