package org.bootfarm.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for one test class: {@code initdb} into a temporary directory, {@code pg_ctl start} on
 * a free port of 127.0.0.1 with a socket directory of its own, a fresh database per {@link #createDatabase} call,
 * and everything stopped and deleted at {@link #close}. Uses Debian's binaries in {@code /usr/lib/postgresql/N/bin}
 * (package {@code postgresql}); as root it runs them as the {@code postgres} user, since initdb refuses root.
 * Durability settings are relaxed (fsync off): the tests judge the store's logic, not the disk.
 */
public final class PostgresServer implements AutoCloseable {
  /** The superuser the tests connect as (trust authentication on 127.0.0.1). */
  public static final String USER = "postgres";
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static PostgresServer shared;

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private final boolean asPostgres;
  private boolean stopped;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** Initializes and starts a server; fails naming what is missing when PostgreSQL is not installed. */
  public static PostgresServer start() {
    return start(null);
  }

  /**
   * {@link #start()}, listening on {@code extraAddress} too (say a veth's host side, for a coordinator in a
   * network namespace) and trusting clients from its /24.
   */
  public static PostgresServer startAlsoOn(String extraAddress) {
    return start(extraAddress);
  }

  private static PostgresServer start(String extraAddress) {
    Path bin = binaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir;
    try {
      dir = Files.createTempDirectory("bootfarm-postgres-");
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()), Duration.ofSeconds(10));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a directory for a test PostgreSQL server: " + e.getMessage(), e);
    }
    PostgresServer server = new PostgresServer(bin, dir, FreePorts.one(), root);
    try {
      server.command(Duration.ofSeconds(60), bin.resolve("initdb").toString(), "-D", server.data.toString(),
          "-U", USER, "--auth=trust", "--no-locale", "--encoding=UTF8", "--no-sync");
      if (extraAddress != null) {
        String net = extraAddress.substring(0, extraAddress.lastIndexOf('.')) + ".0/24";
        Files.writeString(server.data.resolve("pg_hba.conf"), "host all all " + net + " trust\n",
            java.nio.file.StandardOpenOption.APPEND);
      }
      Files.createDirectories(dir.resolve("socket"));
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.resolve("socket").toString()), Duration.ofSeconds(10));
      }
      server.command(Duration.ofSeconds(60), bin.resolve("pg_ctl").toString(), "-D", server.data.toString(),
          "-l", dir.resolve("server.log").toString(), "-w", "-t", "50", "-o",
          "-c listen_addresses=127.0.0.1" + (extraAddress == null ? "" : "," + extraAddress) + " -p " + server.port
              + " -c unix_socket_directories=" + dir.resolve("socket") + " -c fsync=off -c full_page_writes=off -c max_connections=200", "start");
      return server;
    } catch (IOException e) {
      server.close();
      throw new UncheckedIOException("cannot make the socket directory of a test PostgreSQL server: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /**
   * One server for every test class of this JVM (a class takes its own databases from it), started at the first
   * call and stopped when the JVM exits: a server starts in seconds, a database in a fraction of one.
   */
  public static synchronized PostgresServer shared() {
    if (shared == null) {
      shared = start();
      PostgresServer stopping = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(stopping::close, "postgres-server-stop"));
    }
    return shared;
  }

  /** The binaries of the newest installed PostgreSQL, or an error saying how to install them. */
  private static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    List<Path> versions = new ArrayList<>();
    if (Files.isDirectory(root)) {
      try (Stream<Path> list = Files.list(root)) {
        list.filter(v -> Files.isExecutable(v.resolve("bin/initdb")) && Files.isExecutable(v.resolve("bin/pg_ctl")))
            .forEach(versions::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    versions.sort(Comparator.comparing(v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))));
    if (versions.isEmpty()) {
      throw new IllegalStateException("no PostgreSQL server binaries: /usr/lib/postgresql/*/bin/initdb and pg_ctl"
          + " are missing; install the Debian package 'postgresql' (deploy/packages/coordinator.txt lists it)");
    }
    return versions.get(versions.size() - 1).resolve("bin");
  }

  /** The port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** A fresh, empty database (C collation, UTF-8); returns its name. */
  public String createDatabase() {
    String name = "bootfarm_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection connection = connect("postgres"); Statement statement = connection.createStatement()) {
      statement.executeUpdate("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' STRATEGY FILE_COPY");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage() + "\n" + log(), e);
    }
    return name;
  }

  /** The JDBC URL of {@code database}, as user {@link #USER}. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + USER;
  }

  /** The store URL a coordinator takes ({@code --store}) for {@code database}. */
  public String storeUrl(String database) {
    return "postgresql://127.0.0.1:" + port + "/" + database + "?user=" + USER;
  }

  /** The store URL of {@code database} on {@code host}, an address given to {@link #startAlsoOn}. */
  public String storeUrl(String database, String host) {
    return "postgresql://" + host + ":" + port + "/" + database + "?user=" + USER;
  }

  /** A superuser connection to {@code database}. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database));
  }

  /** The server's log so far (for failure messages). */
  public String log() {
    try {
      Path log = dir.resolve("server.log");
      return Files.exists(log) ? Files.readString(log) : "(no server log)";
    } catch (IOException e) {
      return "(server log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        command(Duration.ofSeconds(60), bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate",
            "-w", "stop");
      }
    } catch (RuntimeException e) {
      System.err.println("PostgresServer: could not stop the server in " + data + ": " + e.getMessage());
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // a temporary directory: the next boot clears it
      }
    }
  }

  private void command(Duration timeout, String... argv) {
    List<String> command = new ArrayList<>();
    if (asPostgres) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.addAll(List.of(argv));
    run(command, timeout);
  }

  private static void run(List<String> command, Duration timeout) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not end within " + timeout);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + process.exitValue()
            + ":\n" + new String(out, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }
}
