package org.bootfarm.cli;

import java.nio.file.Path;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.IdentityException;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;
import picocli.CommandLine.Option;

/**
 * Which farm certificate a node runs with (ADR 0031), the one place that decides it: an issued member
 * directory ({@code --member-dir}); else one the node issues itself into {@code <data-dir>/member} from a
 * CA whose key is on this machine ({@code --farm-ca}, one-machine farms and tests); else, for a
 * coordinator, the CA it keeps in {@code <data-dir>/farm-ca}, made on its first start. A worker with
 * none of these does not start. Every node the commands start is therefore secured.
 */
final class MemberOptions {
  static final String MEMBER_DIR_ENV = "BOOTFARM_MEMBER_DIR";
  static final String FARM_CA_ENV = "BOOTFARM_FARM_CA";
  /** Under the data dir: the credential a node issued itself. */
  static final String OWN_MEMBER_DIR = "member";
  /** Under a coordinator's data dir: the CA it made on its first start when given none. */
  static final String OWN_CA_DIR = "farm-ca";
  private static final System.Logger LOG = System.getLogger(MemberOptions.class.getName());

  @Option(names = "--member-dir", paramLabel = "DIR", defaultValue = "${env:" + MEMBER_DIR_ENV + "}",
      description = "this node's farm certificate, as issued by 'bootfarm ca issue' (member.pem, member.key, ca.pem);"
          + " a worker's id is its certificate's name (default: $" + MEMBER_DIR_ENV + ")")
  Path memberDir;

  @Option(names = "--farm-ca", paramLabel = "DIR", defaultValue = "${env:" + FARM_CA_ENV + "}",
      description = "without --member-dir: a farm CA made by 'bootfarm ca init', key included, from which this node"
          + " issues itself a certificate into <data-dir>/" + OWN_MEMBER_DIR + " (one-machine farms; default: $"
          + FARM_CA_ENV + ")")
  Path farmCa;

  @Option(names = "--member-name", paramLabel = "NAME",
      description = "a coordinator's certificate name when it issues its own (default:"
          + " coordinator-<cluster-host>-<cluster-port>)")
  String memberName;

  /** A worker's id and credential: the certificate names the worker. */
  record WorkerMember(String workerId, MemberCredential credential) {}

  /**
   * The credential of a coordinator (or standalone farm) with this data dir and cluster address; a CA
   * it makes for itself names the farm {@code clusterName}.
   *
   * @throws IdentityException naming the directory that cannot be used and what to do
   */
  MemberCredential coordinator(Path dataDir, String clusterName, String clusterHost, int clusterPort)
      throws IdentityException {
    String name = memberName != null ? memberName : coordinatorName(clusterHost, clusterPort);
    MemberCredential credential;
    if (memberDir != null) {
      credential = MemberCredential.load(memberDir.toAbsolutePath());
    } else if (farmCa != null) {
      credential = FarmCa.load(farmCa.toAbsolutePath()).issueOrLoad(identity(name, NodeRole.COORDINATOR),
          ownMemberDir(dataDir));
    } else {
      credential = ownCa(dataDir, clusterName, name);
      Path caDir = ownCaDir(dataDir);
      LOG.log(System.Logger.Level.INFO, "the farm CA is " + caDir + " (made on this coordinator's first start;"
          + " keep " + FarmCa.CA_KEY + " secret); give a worker its certificate with: bootfarm ca issue --ca " + caDir
          + " --role worker WORKER_ID --out DIR, copy DIR to the worker and start it with --member-dir DIR");
    }
    announce(credential);
    return credential;
  }

  /**
   * The id and credential of a worker: with {@code --member-dir} the id is the certificate's name (a
   * differing {@code workerIdFlag} is an error), else it is the usual one (flag or data dir, via {@code
   * resolveId}) and the node issues itself a certificate of that name.
   *
   * @throws IdentityException when no way to a certificate is given, or the one given cannot be used
   */
  WorkerMember worker(String workerIdFlag, Path dataDir, IdResolver resolveId) throws Exception {
    MemberCredential credential;
    String workerId;
    if (memberDir != null) {
      credential = MemberCredential.load(memberDir.toAbsolutePath());
      if (credential.identity().role() != NodeRole.WORKER) {
        throw new IdentityException("the certificate in " + memberDir + " names " + credential.identity()
            + ", not a worker; issue this worker one with: bootfarm ca issue --ca CA_DIR --role worker NAME");
      }
      String certified = credential.identity().name();
      if (workerIdFlag != null && !workerIdFlag.equals(certified)) {
        throw new IdentityException("--worker-id " + workerIdFlag + " differs from the name in the certificate "
            + memberDir.resolve(FarmCa.MEMBER_CERT) + ", " + certified + ": a worker's id is its certificate's"
            + " name; drop --worker-id or issue a certificate named " + workerIdFlag);
      }
      workerId = resolveId.resolve(certified);
    } else if (farmCa != null) {
      workerId = resolveId.resolve(workerIdFlag);
      credential = FarmCa.load(farmCa.toAbsolutePath()).issueOrLoad(identity(workerId, NodeRole.WORKER),
          ownMemberDir(dataDir));
    } else {
      throw new IdentityException("a worker needs a farm certificate to join the farm; give one of: --member-dir DIR"
          + " (or $" + MEMBER_DIR_ENV + "), a directory issued by 'bootfarm ca issue --ca CA_DIR --role worker NAME'"
          + " on the machine that holds the CA, which is <data-dir>/" + OWN_CA_DIR + " of a coordinator that made its"
          + " own (its log names it); --farm-ca DIR (or $" + FARM_CA_ENV + "), a CA with its key on this machine,"
          + " from which the worker issues itself a certificate; or run 'bootfarm standalone' for a farm of one");
    }
    announce(credential);
    return new WorkerMember(workerId, credential);
  }

  /** A worker's id from its flag, or kept in its data dir when the flag is null. */
  @FunctionalInterface
  interface IdResolver {
    String resolve(String flag) throws Exception;
  }

  /**
   * The coordinator credential {@code name} from the CA in {@code <dataDir>/farm-ca} (of farm {@code
   * farmName}), made on the first start and issued into {@code <dataDir>/member}: a coordinator given no
   * certificate, and the embedded farm.
   */
  static MemberCredential ownCa(Path dataDir, String farmName, String name) throws IdentityException {
    FarmCa ca = FarmCa.loadOrInit(ownCaDir(dataDir), farmName);
    return ca.issueOrLoad(identity(name, NodeRole.COORDINATOR), ownMemberDir(dataDir));
  }

  /** The name a coordinator's own certificate gets: coordinator-HOST-PORT in member-name characters. */
  static String coordinatorName(String clusterHost, int clusterPort) {
    String name = ("coordinator-" + clusterHost + "-" + clusterPort).replaceAll("[^A-Za-z0-9._-]", "-");
    return name.length() > 64 ? name.substring(name.length() - 64) : name;
  }

  /** Where a coordinator (or an embedded farm) started without a CA of its own keeps the one it makes. */
  static Path ownCaDir(Path dataDir) {
    return dataDir.resolve(OWN_CA_DIR).toAbsolutePath();
  }

  private static Path ownMemberDir(Path dataDir) {
    return dataDir.resolve(OWN_MEMBER_DIR).toAbsolutePath();
  }

  private static MemberIdentity identity(String name, NodeRole role) throws IdentityException {
    try {
      return new MemberIdentity(name, role);
    } catch (IllegalArgumentException e) {
      throw new IdentityException(e.getMessage() + "; pick one with --member-name", e);
    }
  }

  private static void announce(MemberCredential credential) {
    LOG.log(System.Logger.Level.INFO, "the event bus runs over mutual TLS as " + credential.identity()
        + ", certificate " + credential.dir().resolve(FarmCa.MEMBER_CERT) + ", trusting only the farm CA "
        + credential.caCertificate().getSubjectX500Principal().getName() + "; members without its certificate are"
        + " refused (metric bootfarm_cluster_refused_total)");
  }
}
