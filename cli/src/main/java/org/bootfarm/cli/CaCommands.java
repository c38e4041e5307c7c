package org.bootfarm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.IdentityException;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code bootfarm ca init DIR} and {@code bootfarm ca issue}: the farm CA and the member certificates
 * that let coordinators, workers and clients join the event bus (ADR 0031). A CA or member that
 * cannot be made is exit 2 with what to do; nothing existing is ever replaced.
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "Make the farm's certificate authority and issue member certificates.",
    subcommands = {CaCommands.Init.class, CaCommands.Issue.class})
final class CaCommands {
  /** Exit code of a CA or member directory that cannot be used. */
  static final int BAD_INPUT = 2;

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Make a new farm CA in DIR (ca.pem, and ca.key readable by its owner only); refuses a DIR"
          + " holding one already.")
  static final class Init implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "where the CA is made")
    Path dir;

    @Option(names = "--farm-name", defaultValue = "bootfarm",
        description = "the farm's name in the CA certificate (default: ${DEFAULT-VALUE})")
    String farmName;

    @Override
    public Integer call() {
      try {
        FarmCa ca = FarmCa.init(dir.toAbsolutePath(), farmName);
        spec.commandLine().getOut().println("made the farm CA in " + ca.dir() + ": " + FarmCa.CA_CERT
            + " (every member trusts it) and " + FarmCa.CA_KEY + " (keep it secret: whoever reads it can make"
            + " members)\nissue a member with: bootfarm ca issue --ca " + ca.dir()
            + " --role worker|coordinator|client NAME");
        return 0;
      } catch (IdentityException e) {
        spec.commandLine().getErr().println("bootfarm: " + e.getMessage());
        return BAD_INPUT;
      }
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Issue NAME a member certificate of the farm CA: member.pem, member.key and ca.pem in one"
          + " directory, which the node is started with (--member-dir).")
  static final class Issue implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "the farm CA (made by 'bootfarm ca init')")
    Path ca;

    @Option(names = "--role", required = true, paramLabel = "worker|coordinator|client", converter = RoleConverter.class,
        description = "what the certificate lets its holder be")
    NodeRole role;

    @Option(names = "--out", paramLabel = "MEMBER_DIR",
        description = "where the member's files go (default: <CA DIR>/members/NAME); refused when it holds a member")
    Path out;

    @Option(names = "--host", paramLabel = "NAME_OR_IP",
        description = "a DNS name or IP address clients reach this member's HTTPS API by, put into the certificate's"
            + " subject alternative names (a coordinator started with --tls-cert member.pem --tls-key member.key);"
            + " repeatable")
    List<String> hosts = new ArrayList<>();

    @Parameters(paramLabel = "NAME", description = "the member's name; a worker's is its worker id")
    String name;

    @Override
    public Integer call() {
      try {
        MemberIdentity member = new MemberIdentity(name, role);
        Path memberDir = (out != null ? out : ca.resolve("members").resolve(name)).toAbsolutePath();
        MemberCredential credential = FarmCa.load(ca.toAbsolutePath()).issue(member, memberDir, hosts);
        spec.commandLine().getOut().println("issued " + credential.identity() + " into " + memberDir + ": "
            + FarmCa.MEMBER_CERT + ", " + FarmCa.MEMBER_KEY + " (owner-only), " + FarmCa.CA_CERT
            + "\ncopy the directory to the member's machine and start it with: --member-dir " + memberDir
            + " (or " + MemberOptions.MEMBER_DIR_ENV + "=" + memberDir + ")"
            + (hosts.isEmpty() ? "" : "\nto serve HTTPS as " + String.join(", ", hosts) + ", add: --tls-cert "
                + memberDir.resolve(FarmCa.MEMBER_CERT) + " --tls-key " + memberDir.resolve(FarmCa.MEMBER_KEY)
                + " (clients trust it with --tls-ca " + memberDir.resolve(FarmCa.CA_CERT) + ")"));
        return 0;
      } catch (IdentityException | IllegalArgumentException e) {
        spec.commandLine().getErr().println("bootfarm: " + e.getMessage());
        return BAD_INPUT;
      }
    }
  }

  /** Reads worker, coordinator or client. */
  static final class RoleConverter implements ITypeConverter<NodeRole> {
    @Override
    public NodeRole convert(String value) {
      try {
        return MemberIdentity.parseRole(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
