package org.bootfarm.cli;

import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.bootfarm.client.FarmClient;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.coordinator.access.DefaultTokensFile;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.testkit.FreePorts;

/**
 * Submission throughput and latency over the event bus (issue 3): starts {@code bootfarm coordinator}
 * as a child process on 127.0.0.1, joins its cluster from this JVM as a {@link FarmClient} (a lite
 * member, the clustered-client path), and times {@code submit} calls, each answered only after the
 * coordinator's durable insert: first one at a time, then with many in flight. No worker runs, so
 * every build stays QUEUED; every id is checked to be distinct and the last build to read back QUEUED.
 * The same is timed for {@code ping}, the event-bus round trip without the store, for comparison.
 * Nothing is timed before a warm-up of {@code -Dbench.warmUp} pings and submissions at the largest in-flight count
 * (the JIT compilers of a fresh JVM otherwise take most of the CPU of a short timed phase), and each timed phase's
 * CPU per request of both processes is printed, their compiler threads apart ({@link ProcessCpu}).
 * Prints one Markdown table row per request and mode. MODE {@code mtls} runs coordinator and client
 * with farm certificates (the event bus over mutual TLS, every message signed and checked, as every
 * command runs), {@code plain} without, for the baseline ({@link BenchCoordinator}).
 *
 * <p>Usage: {@code EventBusSubmitBenchmark DIR REPOS_DIR SUBMISSIONS MODE [IN_FLIGHT...]}.
 */
public final class EventBusSubmitBenchmark {
  private EventBusSubmitBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]).toAbsolutePath();
    Path repos = Path.of(args[1]).toAbsolutePath();
    int submissions = Integer.parseInt(args[2]);
    boolean mtls = switch (args[3]) {
      case "mtls" -> true;
      case "plain" -> false;
      default -> throw new IllegalArgumentException("MODE '" + args[3] + "' is not mtls or plain");
    };
    List<Integer> inFlight = new ArrayList<>();
    for (int i = 4; i < args.length; i++) {
      inFlight.add(Integer.parseInt(args[i]));
    }
    if (inFlight.isEmpty()) {
      inFlight = List.of(1, 64);
    }
    Files.createDirectories(dir);
    int clusterPort = FreePorts.one();
    String cluster = "bench-submit-" + clusterPort;
    String memberDir = "-";
    ClusterSettings clientSettings = ClusterSettings.of(NodeRole.CLIENT, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + clusterPort, dir.resolve("client")).withClusterName(cluster);
    if (mtls) {
      FarmCa ca = FarmCa.init(dir.resolve("farm-ca"), cluster);
      memberDir = ca.issue(new MemberIdentity("bench-coordinator", NodeRole.COORDINATOR), dir.resolve("coordinator-member"))
          .dir().toString();
      clientSettings = clientSettings.withCredential(ca.issue(new MemberIdentity("bench-client", NodeRole.CLIENT),
          dir.resolve("client-member")));
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
    // e.g. -XX:StartFlightRecording=...: to see where the coordinator's time goes
    String coordinatorOptions = System.getenv().getOrDefault("BENCH_COORDINATOR_OPTS", "").strip();
    if (!coordinatorOptions.isEmpty()) {
      command.addAll(List.of(coordinatorOptions.split("\\s+")));
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchCoordinator.class.getName(),
        dir.toString(), repos.toString(), cluster, String.valueOf(clusterPort), String.valueOf(FreePorts.one()),
        memberDir, System.getenv().getOrDefault("BENCH_STORE", "-")));
    Process coordinator = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("coordinator.log").toFile()).start();
    System.out.println("mode: " + (mtls ? "mutual TLS, authenticated messages" : "plain event bus (baseline)"));
    try (FarmClient client = FarmClient.connect(clientSettings, Duration.ofSeconds(120)).withToken(
        DefaultTokensFile.tokenOf(dir.resolve("coordinator").resolve(DefaultTokensFile.NAME),
            DefaultTokensFile.LOCAL_CLIENT).orElseThrow())) {
      Path tether = Files.writeString(dir.resolve("tether"), "tether\n");
      Path unpack = Files.writeString(dir.resolve("unpack"), "unpack\n");
      SubmitRequest request = new SubmitRequest("debian-12", null,
          Map.of("tether", client.upload(tether).await(), "unpack", client.upload(unpack).await()), null, null);
      // warm-up, until the JIT compilers have settled: connections, SQLite pages, the compiled code of both JVMs
      // (a coordinator runs for days; a cold JVM's compilers took two thirds of the CPU of the timed submissions)
      int warmUp = Integer.getInteger("bench.warmUp", Math.min(1000, submissions));
      int warmInFlight = inFlight.stream().max(Integer::compare).orElseThrow();
      for (int done = 0; done < warmUp; done += submissions) {
        int count = Math.min(submissions, warmUp - done);
        run(() -> client.ping(), count, warmInFlight, new long[count]);
        run(() -> client.submit(request), count, warmInFlight, new long[count]);
      }
      System.out.printf("warm-up: %,d pings and %,d submissions, %d in flight%n", warmUp, warmUp, warmInFlight);
      // how many event-bus messages carried the submissions (ADR 0056: those waiting at once travel together)
      AtomicInteger submitMessages = new AtomicInteger();
      client.vertx().eventBus().addOutboundInterceptor(context -> {
        String address = context.message().address();
        if (address.equals(Addresses.SUBMIT) || address.equals(Addresses.SUBMIT_MANY)) {
          submitMessages.incrementAndGet();
        }
        context.next();
      });
      List<String> carried = new ArrayList<>();
      System.out.println("| request | in flight | requests | per second | p50 ms | p99 ms | max ms |");
      System.out.println("|---|---|---|---|---|---|---|");
      List<String> cpu = new ArrayList<>();
      for (int n : inFlight) {
        long[] latencies = new long[submissions];
        Cpu before = Cpu.now(coordinator);
        row("ping (event bus only)", n, submissions, run(() -> client.ping(), submissions, n, latencies), latencies);
        cpu.add(Cpu.now(coordinator).since(before, "ping", n, submissions));
      }
      for (int n : inFlight) {
        String[] ids = new String[submissions];
        long[] latencies = new long[submissions];
        AtomicInteger next = new AtomicInteger();
        int messagesBefore = submitMessages.get();
        Cpu before = Cpu.now(coordinator);
        double seconds = run(() -> client.submit(request).onSuccess(id -> ids[next.getAndIncrement()] = id),
            submissions, n, latencies);
        row("submit (durable insert)", n, submissions, seconds, latencies);
        cpu.add(Cpu.now(coordinator).since(before, "submit", n, submissions));
        int messages = submitMessages.get() - messagesBefore;
        carried.add(String.format("%d in flight: %,d submissions in %,d messages (%.1f per message)", n, submissions,
            messages, (double) submissions / messages));
        long distinct = Arrays.stream(ids).distinct().count();
        String state = client.get(ids[submissions - 1]).await().state().name();
        if (distinct != submissions || !state.equals("QUEUED")) {
          throw new IllegalStateException(distinct + " distinct ids for " + submissions + " submissions; the last"
              + " build is " + state);
        }
      }
      System.out.println();
      carried.forEach(System.out::println);
      cpu.forEach(System.out::println);
      System.out.println("every submission answered a distinct id; the last build read back QUEUED");
    } finally {
      coordinator.destroy();
      coordinator.waitFor(15, TimeUnit.SECONDS);
      coordinator.destroyForcibly();
    }
  }

  /** Both processes' CPU so far; empty where /proc cannot tell (not Linux). */
  private record Cpu(ProcessCpu coordinator, ProcessCpu client) {
    static Cpu now(Process coordinator) {
      try {
        return new Cpu(ProcessCpu.of(coordinator.pid()), ProcessCpu.of(ProcessHandle.current().pid()));
      } catch (IOException | RuntimeException e) {
        return new Cpu(null, null);
      }
    }

    /** One line: CPU per request of each process in the phase since {@code before}, compilers apart. */
    String since(Cpu before, String request, int inFlight, int count) {
      if (coordinator == null || before.coordinator == null) {
        return request + ", " + inFlight + " in flight: CPU not measured (no /proc)";
      }
      ProcessCpu server = coordinator.since(before.coordinator);
      ProcessCpu caller = client.since(before.client);
      long work = server.workNanos() + caller.workNanos();
      return String.format("CPU per %s, %d in flight: coordinator %s, client %s; without the compilers %,d cores"
          + " carry %,.0f/s", request, inFlight, server.perRequest(count), caller.perRequest(count),
          Runtime.getRuntime().availableProcessors(),
          Runtime.getRuntime().availableProcessors() * 1e9 * count / Math.max(1, work));
    }
  }

  private static void row(String request, int inFlight, int count, double seconds, long[] latencies) {
    Arrays.sort(latencies);
    System.out.printf("| %s | %d | %,d | %,.0f | %.2f | %.2f | %.1f |%n", request, inFlight, count, count / seconds,
        millis(latencies, 0.50), millis(latencies, 0.99), latencies[latencies.length - 1] / 1e6);
  }

  /**
   * Makes {@code count} requests keeping {@code inFlight} outstanding, recording each one's latency;
   * returns the wall time in seconds.
   */
  private static double run(Supplier<Future<?>> request, int count, int inFlight, long[] latencies)
      throws Exception {
    AtomicInteger issued = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(count);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    if (inFlight == 1) {
      for (int i = 0; i < count; i++) {
        long t0 = System.nanoTime();
        request.get().await();
        latencies[i] = System.nanoTime() - t0;
      }
      return (System.nanoTime() - start) / 1e9;
    }
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      int i = issued.getAndIncrement();
      if (i >= count) {
        return;
      }
      long t0 = System.nanoTime();
      request.get().onComplete(result -> {
        latencies[i] = System.nanoTime() - t0;
        if (result.failed()) {
          failure.compareAndSet(null, result.cause());
        }
        done.countDown();
        next[0].run();
      });
    };
    for (int i = 0; i < inFlight; i++) {
      next[0].run();
    }
    if (!done.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("only " + (count - done.getCount()) + " of " + count + " submissions answered");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a submission failed", failure.get());
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static double millis(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }

}
