package org.bootfarm.cli;

import java.nio.file.Path;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.PrivateDirectory;
import org.bootfarm.cluster.identity.IdentityException;
import org.bootfarm.cluster.identity.MemberCredential;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The flags every farm process takes: its config file, where its data lives, how it joins the cluster
 * and with which farm certificate ({@link MemberOptions}).
 */
final class FarmOptions {
  @Option(names = ConfigFile.OPTION, paramLabel = "FILE",
      description = "read defaults for these flags from FILE, 'key = value' lines (default: $BOOTFARM_CONFIG, else "
          + "/etc/bootfarm/bootfarm.conf when it exists); flags win over the file")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:BOOTFARM_DATA_DIR:-/var/lib/bootfarm}",
      description = "where this process keeps its state (default: $BOOTFARM_DATA_DIR, else ${DEFAULT-VALUE})")
  Path dataDir;

  /**
   * Makes the data dir readable by this process's user alone (0700; an existing one is set so, and the change logged:
   * ADR 0065) before the process writes its state there.
   */
  void privateDataDir() throws java.io.IOException {
    PrivateDirectory.ensure(dataDir, "the data directory (--data-dir)");
  }

  @Option(names = "--cluster-name", defaultValue = "bootfarm", description = "the cluster to join (default: ${DEFAULT-VALUE})")
  String clusterName;

  @Option(names = "--cluster-host", defaultValue = "127.0.0.1",
      description = "the address this process listens on for the cluster (default: ${DEFAULT-VALUE})")
  String clusterHost;

  @Option(names = "--cluster-port", defaultValue = "5701", description = "the cluster port (default: ${DEFAULT-VALUE})")
  int clusterPort;

  @Option(names = "--join", paramLabel = "H:P[,H:P...]", defaultValue = "",
      description = "the coordinators to join; a coordinator without it forms a cluster of its own")
  String join;

  @Option(names = "--event-bus-port", paramLabel = "PORT", defaultValue = "0",
      description = "the clustered event bus's TCP port on --cluster-host, which every other member must reach;"
          + " 0 for any free port (default: ${DEFAULT-VALUE}; fix it when a firewall sits between members)")
  int eventBusPort;

  /** How a process finds the cluster's members. */
  enum Discovery {
    TCP, KUBERNETES;

    /** Reads {@code tcp} or {@code kubernetes}, so a config file with another value is refused before start. */
    static final class Converter implements ITypeConverter<Discovery> {
      @Override
      public Discovery convert(String value) {
        return switch (value) {
          case "tcp" -> TCP;
          case "kubernetes" -> KUBERNETES;
          default -> throw new TypeConversionException("'" + value + "' is neither tcp nor kubernetes");
        };
      }
    }
  }

  @Option(names = "--discovery", paramLabel = "tcp|kubernetes", defaultValue = "tcp", converter = Discovery.Converter.class,
      description = "how this process finds the cluster: tcp joins the --join members; kubernetes looks up the"
          + " members behind --kubernetes-service-dns (default: ${DEFAULT-VALUE})")
  Discovery discovery;

  @Option(names = "--kubernetes-service-dns", paramLabel = "NAME",
      description = "with --discovery kubernetes: the headless service whose addresses are the farm's members,"
          + " e.g. bootfarm-hazelcast.bootfarm.svc.cluster.local")
  String kubernetesServiceDns;

  @Option(names = "--keys", paramLabel = "DIR",
      description = "trusted GPG keys for gpgkey=file: references (default: $BOOTFARM_KEYS, else /etc/pki/rpm-gpg)")
  Path keys;

  @Mixin MemberOptions member;

  /**
   * A coordinator's cluster settings, with the farm certificate {@link MemberOptions#coordinator} decides on.
   *
   * @throws IdentityException when that certificate cannot be had
   */
  ClusterSettings coordinatorCluster() throws IdentityException {
    return cluster(NodeRole.COORDINATOR, member.coordinator(dataDir.toAbsolutePath(), clusterName, clusterHost,
        clusterPort));
  }

  /**
   * The cluster settings these flags give, for a node with this farm certificate.
   *
   * @throws IllegalArgumentException naming the flag whose value cannot be used
   */
  ClusterSettings cluster(NodeRole role, MemberCredential credential) {
    ClusterSettings settings = ClusterSettings.of(role, clusterHost, clusterPort, join, dataDir.toAbsolutePath())
        .withClusterName(clusterName).withEventBusPort(eventBusPort).withCredential(credential);
    switch (discovery) {
      case TCP -> {
        if (kubernetesServiceDns != null) {
          throw new IllegalArgumentException("--kubernetes-service-dns is only read with --discovery kubernetes;"
              + " add that or drop it");
        }
        return settings;
      }
      case KUBERNETES -> {
        if (kubernetesServiceDns == null) {
          throw new IllegalArgumentException("--discovery kubernetes needs --kubernetes-service-dns NAME, the"
              + " headless service in front of the farm's pods");
        }
        return settings.withKubernetesDiscovery(kubernetesServiceDns);
      }
      default -> throw new IllegalStateException("unknown discovery " + discovery);
    }
  }
}
