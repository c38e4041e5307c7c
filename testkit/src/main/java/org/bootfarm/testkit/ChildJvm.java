package org.bootfarm.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code java} command tests start their other JVMs with (a farm's coordinators and workers, a CLI command
 * run as an operator would, a cluster node): the running JVM's own {@code java}, with options that let a test
 * process start sooner and cost less CPU on the suite's 2 cores. Most of a test process's CPU is its start
 * (class loading, Hazelcast and Vert.x coming up, the JIT compiling that once-run code), so it runs with the C1
 * compiler alone ({@code -XX:TieredStopAtLevel=1}, as the fast tier's test JVM does) and the serial collector
 * (no GC worker threads beside the test's other processes). Neither changes what a process does, only how fast.
 *
 * <p>{@code -Dbootfarm.test.childJvmOptions="..."} (space-separated, empty for the JVM's defaults) replaces
 * them, e.g. to compare a test class's time with and without (docs/benchmarks.md, "Suite time").
 */
public final class ChildJvm {
  /** The system property that replaces {@link #DEFAULT_OPTIONS}. */
  public static final String OPTIONS_PROPERTY = "bootfarm.test.childJvmOptions";

  /** C1 alone and the serial collector: a short-lived test process's start, for less CPU. */
  public static final List<String> DEFAULT_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  private ChildJvm() {
  }

  /** The running JVM's {@code java} executable. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The options a test's JVM gets: {@link #DEFAULT_OPTIONS}, or what {@link #OPTIONS_PROPERTY} says. */
  public static List<String> options() {
    String given = System.getProperty(OPTIONS_PROPERTY);
    if (given == null) {
      return DEFAULT_OPTIONS;
    }
    return Arrays.stream(given.strip().split("\\s+")).filter(option -> !option.isEmpty()).toList();
  }

  /** {@link #java()} followed by {@link #options()}: the start of a command line, before the class path. */
  public static List<String> command() {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(options());
    return command;
  }
}
