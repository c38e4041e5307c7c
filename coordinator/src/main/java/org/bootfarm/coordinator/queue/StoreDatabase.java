package org.bootfarm.coordinator.queue;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Where the coordinator's builds, nightly runs and pins are kept, and how to talk to it: one SQLite file in the
 * data dir (the default; one coordinator), or a PostgreSQL database shared by every coordinator of a farm
 * ({@code --store postgresql://HOST:PORT/DB?user=U}, docs/adr/0039). The build store and the nightly store each
 * {@link #connect} their own session. On PostgreSQL it also carries the epoch of the term this coordinator
 * holds ({@link StoreTerm}), which every write states ({@link #fence}) so the database can refuse a write from a
 * term that ended.
 */
public final class StoreDatabase {
  /** The SQL engine, and the few places where its SQL differs. */
  public enum Engine {
    SQLITE, POSTGRESQL;

    private static final Pattern INTEGER = Pattern.compile("\\bINTEGER\\b");

    /**
     * A migration script as this engine runs it: the common scripts keep instants as milliseconds in
     * {@code INTEGER} columns, which is 64 bits on SQLite but 32 on PostgreSQL, so there every INTEGER is BIGINT.
     */
    public String schemaSql(String script) {
      return this == POSTGRESQL ? INTEGER.matcher(script).replaceAll("BIGINT") : script;
    }

    /** The text of top-level field {@code field} of the JSON in column {@code column}. */
    public String jsonText(String column, String field) {
      return this == POSTGRESQL ? "(" + column + "::jsonb ->> '" + field + "')"
          : "json_extract(" + column + ", '$." + field + "')";
    }
  }

  private final Engine engine;
  private final String jdbcUrl;
  private final Properties properties;
  private final String name;
  private final Path file;
  private volatile long epoch; // 0: this coordinator holds no term
  private volatile Runnable onFenced = () -> { };

  private StoreDatabase(Engine engine, String jdbcUrl, Properties properties, String name, Path file) {
    this.engine = engine;
    this.jdbcUrl = jdbcUrl;
    this.properties = properties;
    this.name = name;
    this.file = file;
  }

  /** The SQLite file {@code file} (e.g. {@code DATA_DIR/builds.sqlite}). */
  public static StoreDatabase sqlite(Path file) {
    Path absolute = file.toAbsolutePath();
    return new StoreDatabase(Engine.SQLITE, "jdbc:sqlite:" + absolute, new Properties(), absolute.toString(), absolute);
  }

  /**
   * The PostgreSQL database of {@code url}, {@code postgresql://HOST[:PORT]/DB?user=U} (further JDBC parameters
   * such as {@code sslmode} may follow), logging in with {@code password} (null: none, e.g. peer or trust
   * authentication). A password inside the URL is refused: a command line is visible to every local user.
   */
  public static StoreDatabase postgresql(String url, String password) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--store " + url + " is not a URL: " + e.getMessage()
          + "; write postgresql://HOST:PORT/DB?user=USER");
    }
    // several hosts (host1:5432,host2:5432, with targetServerType=primary) make a registry-based authority
    String hosts = uri.getHost() != null ? uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        : uri.getRawAuthority();
    if (!"postgresql".equals(uri.getScheme()) || hosts == null || uri.getPath() == null
        || uri.getPath().length() < 2) {
      throw new IllegalArgumentException("--store " + redact(url) + " must look like postgresql://HOST:PORT/DB?user=USER");
    }
    String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
    boolean passwordInQuery = Pattern.compile("(^|&)password=", Pattern.CASE_INSENSITIVE).matcher(query).find();
    if (uri.getRawUserInfo() != null || hosts.contains("@") || passwordInQuery) {
      throw new IllegalArgumentException("--store " + redact(url) + " carries credentials in the URL; a command line"
          + " is visible to every user of the machine: name the user as ?user=USER and give the password with"
          + " --store-password-file FILE or the environment variable BOOTFARM_STORE_PASSWORD");
    }
    Properties properties = new Properties();
    if (password != null) {
      properties.setProperty("password", password);
    }
    properties.setProperty("ApplicationName", "bootfarm coordinator");
    // a group commit's rows as multi-row INSERTs: one statement per batch, not one per build (ADR 0051)
    properties.setProperty("reWriteBatchedInserts", "true");
    return new StoreDatabase(Engine.POSTGRESQL, "jdbc:" + url, properties,
        "postgresql://" + hosts + uri.getPath(), null);
  }

  private static String redact(String url) {
    return url.replaceAll("//[^@/]*@", "//***@").replaceAll("(?i)password=[^&]*", "password=***");
  }

  public Engine engine() {
    return engine;
  }

  /** How messages name the database: the file, or the PostgreSQL URL without its parameters. */
  public String name() {
    return name;
  }

  /** The SQLite file; null on PostgreSQL. */
  public Path file() {
    return file;
  }

  /** A new session; on SQLite with {@code synchronous=FULL}, foreign keys and a busy timeout. */
  public Connection connect() throws SQLException {
    Connection connection = DriverManager.getConnection(jdbcUrl, properties);
    if (engine == Engine.SQLITE) {
      try (Statement statement = connection.createStatement()) {
        statement.executeUpdate("PRAGMA synchronous=FULL"); // fsync the WAL at every commit
        statement.executeUpdate("PRAGMA foreign_keys=ON");
        // an operator's sqlite3 session may hold a lock for a moment: wait rather than fail
        statement.executeUpdate("PRAGMA busy_timeout=5000");
      } catch (SQLException e) {
        connection.close();
        throw e;
      }
    }
    return connection;
  }

  /** The epoch of the term this coordinator holds; 0 when it holds none (a standby, or SQLite). */
  public long epoch() {
    return epoch;
  }

  /** Set by {@link StoreTerm} when a term begins (its epoch) and ends (0). */
  void epoch(long epoch) {
    this.epoch = epoch;
  }

  /**
   * Before a write on {@code connection}: states this coordinator's epoch to the database, which refuses the
   * write unless it is the current term's (nothing to do on SQLite, whose file one coordinator holds).
   */
  public void fence(Connection connection) throws SQLException {
    fence(connection, epoch);
  }

  /**
   * {@link #fence(Connection)} with {@code epoch}: the session-level setting lasts for the session when made in
   * auto-commit, but a transaction that rolls back undoes it if it was made inside that transaction.
   */
  void fence(Connection connection, long epoch) throws SQLException {
    if (engine == Engine.POSTGRESQL) {
      try (PreparedStatement set = connection.prepareStatement("SELECT set_config('bootfarm.epoch', ?, false)")) {
        set.setString(1, Long.toString(epoch));
        set.execute();
      }
    }
  }

  /** Called each time the database refuses a write of this coordinator's stores ({@code TermElection} listens). */
  public void onFenced(Runnable listener) {
    this.onFenced = listener;
  }

  /** A store error for {@code what}: {@link FencedWriteException} when the fence refused it. */
  public BuildStoreException failure(String what, SQLException e) {
    if (FencedWriteException.SQLSTATE.equals(e.getSQLState())) {
      onFenced.run();
      return new FencedWriteException("cannot " + what + " in " + name + ": " + serverMessage(e), e);
    }
    return new BuildStoreException("cannot " + what + " in " + name + ": " + e.getMessage(), e);
  }

  /** The server's own words, without the driver's "ERROR:" and position. */
  private static String serverMessage(SQLException e) {
    if (e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
      return p.getServerErrorMessage().getMessage();
    }
    return e.getMessage();
  }
}
