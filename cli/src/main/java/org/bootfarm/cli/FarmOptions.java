package org.bootfarm.cli;

import java.nio.file.Path;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import picocli.CommandLine.Option;

/** The flags every farm process takes: its config file, where its data lives and how it joins the cluster. */
final class FarmOptions {
  @Option(names = ConfigFile.OPTION, paramLabel = "FILE",
      description = "read defaults for these flags from FILE, 'key = value' lines (default: $BOOTFARM_CONFIG, else "
          + "/etc/bootfarm/bootfarm.conf when it exists); flags win over the file")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:BOOTFARM_DATA_DIR:-/var/lib/bootfarm}",
      description = "where this process keeps its state (default: $BOOTFARM_DATA_DIR, else ${DEFAULT-VALUE})")
  Path dataDir;

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

  @Option(names = "--keys", paramLabel = "DIR",
      description = "trusted GPG keys for gpgkey=file: references (default: $BOOTFARM_KEYS, else /etc/pki/rpm-gpg)")
  Path keys;

  ClusterSettings cluster(NodeRole role) {
    return ClusterSettings.of(role, clusterHost, clusterPort, join, dataDir.toAbsolutePath())
        .withClusterName(clusterName);
  }
}
