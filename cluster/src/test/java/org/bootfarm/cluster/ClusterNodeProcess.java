package org.bootfarm.cluster;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * A cluster node in a JVM of its own, for tests: started from its arguments ({@code NAME ROLE
 * CLUSTER_NAME PORT JOIN DATA_DIR}), it answers "ping" and "ping.NAME" with its node id and prints one
 * line per event on stdout: {@code ready ID START_MS}, {@code failed START_MS MESSAGE}, {@code joined|left
 * ID ROLE EPOCH_MS}. Commands on stdin: {@code send ADDRESS [TIMEOUT_MS]} (answers {@code reply ADDRESS BODY MICROS} or
 * {@code fail ADDRESS FAILURE_TYPE MICROS}), {@code members}, {@code exit}.
 */
public final class ClusterNodeProcess {
  private ClusterNodeProcess() {}

  public static void main(String[] args) throws Exception {
    String name = args[0];
    NodeRole role = NodeRole.valueOf(args[1]);
    ClusterSettings settings = ClusterSettings.of(role, "127.0.0.1", Integer.parseInt(args[3]), args[4],
        Path.of(args[5])).withClusterName(args[2]);
    long start = System.nanoTime();
    ClusterNode node;
    try {
      node = ClusterNode.start(settings);
    } catch (ClusterStartException e) {
      print("failed " + (System.nanoTime() - start) / 1_000_000 + " " + e.getMessage().replace('\n', ' '));
      System.exit(2);
      return;
    }
    long startedMs = (System.nanoTime() - start) / 1_000_000;
    String id = node.nodeId();
    node.vertx().eventBus().<String>consumer("ping", m -> m.reply(id)).completion().await();
    node.vertx().eventBus().<String>consumer("ping." + name, m -> m.reply(id)).completion().await();
    node.membership().subscribe(
        m -> print("joined " + m.nodeId() + " " + m.role() + " " + System.currentTimeMillis()),
        m -> print("left " + m.nodeId() + " " + m.role() + " " + System.currentTimeMillis()));
    print("ready " + id + " " + startedMs);

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.startsWith("send ")) {
        String[] words = line.split(" ");
        String address = words[1];
        long timeoutMs = words.length > 2 ? Long.parseLong(words[2]) : 5000;
        long sent = System.nanoTime();
        node.vertx().eventBus().<String>request(address, "ping", new DeliveryOptions().setSendTimeout(timeoutMs))
            .onComplete(ar -> {
              long micros = (System.nanoTime() - sent) / 1000;
              if (ar.succeeded()) {
                print("reply " + address + " " + ar.result().body() + " " + micros);
              } else {
                String type = ar.cause() instanceof ReplyException r ? r.failureType().name() : ar.cause().toString();
                print("fail " + address + " " + type + " " + micros);
              }
            });
      } else if (line.equals("members")) {
        print("members " + node.membership().members().stream()
            .map(m -> m.nodeId() + ":" + m.role() + (m.local() ? ":local" : ""))
            .collect(Collectors.joining(",")));
      } else if (line.equals("exit")) {
        break;
      }
    }
    node.close();
    System.exit(0);
  }

  private static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
