package org.bootfarm.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.protocol.api.v1.Priority;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.protocol.build.ArtifactRecord;

/**
 * The README's Java client example, kept here so that it compiles with every build: join a farm,
 * upload the components, submit, follow the build to its end and download what it made.
 */
final class ReadmeExample {
  private ReadmeExample() {}

  public static void main(String[] args) throws Exception {
    // a client certificate of the farm CA (bootfarm ca issue --ca CA --role client NAME --out DIR)
    ClusterSettings cluster = ClusterSettings.of(NodeRole.CLIENT, "10.0.0.9", 5701, "10.0.0.1:5701", Path.of("/tmp/client"))
        .withCredential(MemberCredential.load(Path.of("/etc/bootfarm/client-member")));
    String token = Files.readString(Path.of("/etc/bootfarm/client-token")).strip();   // a token of role submit
    try (FarmClient farm = FarmClient.connect(cluster, Duration.ofMinutes(1)).withToken(token)) {
      String tether = farm.upload(Path.of("examples/components/tether")).await();
      String unpack = farm.upload(Path.of("examples/components/unpack")).await();
      String id = farm.submit(new SubmitRequest("debian-12", "bootstrap",
          Map.of("tether", tether, "unpack", unpack), Priority.INTERACTIVE, Map.of())).await();
      BuildFollowing following = farm.follow(id, event -> System.out.println(event.type() + " " + event.stage()));
      BuildEvent end = following.ended().await();              // the final state event
      System.out.println(id + " " + end.state());
      for (ArtifactRecord artifact : farm.get(id).await().artifacts()) {
        farm.download(artifact.sha256(), Path.of("out", artifact.name())).await();   // sha256 checked
      }
    }
  }
}
