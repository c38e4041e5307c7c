package org.bootfarm.coordinator.cas;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.bootfarm.coordinator.StoreLock;
import org.bootfarm.protocol.Sha256;

/**
 * A content-addressed store of artifacts (build outputs, logs, uploaded components) in a directory,
 * keyed by sha256. An upload is streamed to a temporary file under {@code incoming/}, hashed while
 * it is written, fsynced, and published by an atomic rename to {@code objects/ab/abcdef…} only if
 * its digest is the announced one: a reader sees a whole, verified object or none.
 *
 * <p>Layout of the directory: {@code objects/} (the published objects, read-only files),
 * {@code incoming/} (uploads in progress and leftovers of crashed ones), {@code pins/} (one file per
 * pinned object, holding the reason), {@code store.lock} (held while the store is open, so that
 * two processes cannot share a store and undercut each other's collection).
 *
 * <p>Thread-safe. Objects are never rewritten: a second put of an existing object reads nothing
 * and reports it was already there. Retention is the caller's policy: {@link #collect} deletes what
 * is neither in the live set it is given, nor pinned, nor being uploaded, nor younger than {@link
 * Options#collectMinAge}.
 */
public final class ArtifactStore implements Closeable {

  /**
   * Settings of a store.
   *
   * @param maxObjectBytes largest object accepted; an upload is stopped as soon as it passes this
   * @param staleTempAge an upload's temporary file untouched for this long is a leftover of a
   *     crashed upload: deleted at start and by {@link #collect}
   * @param collectMinAge {@link #collect} keeps objects published (or re-put) more recently than
   *     this, so an upload is not collected before the build or request that refers to it is
   *     recorded
   * @param space the store's quota and its file system's free-space reserve, checked before an upload writes
   */
  public record Options(long maxObjectBytes, Duration staleTempAge, Duration collectMinAge, StoreSpace space) {
    public Options {
      Objects.requireNonNull(space, "space");
      if (maxObjectBytes <= 0) {
        throw new IllegalArgumentException("maxObjectBytes must be positive, was " + maxObjectBytes);
      }
      if (staleTempAge == null || staleTempAge.isNegative()) {
        throw new IllegalArgumentException("staleTempAge must be zero or positive, was " + staleTempAge);
      }
      if (collectMinAge == null || collectMinAge.isNegative()) {
        throw new IllegalArgumentException(
            "collectMinAge must be zero or positive, was " + collectMinAge);
      }
    }

    /**
     * 16 GiB per object, temporary files stale after 1 hour, nothing younger than 1 hour collected, no quota and
     * max(1 GiB, 5 %) of the file system kept free ({@link StoreSpace#DEFAULT}).
     */
    public static Options defaults() {
      return new Options(16L << 30, Duration.ofHours(1), Duration.ofHours(1), StoreSpace.DEFAULT);
    }

    public Options withMaxObjectBytes(long value) {
      return new Options(value, staleTempAge, collectMinAge, space);
    }

    public Options withStaleTempAge(Duration value) {
      return new Options(maxObjectBytes, value, collectMinAge, space);
    }

    public Options withCollectMinAge(Duration value) {
      return new Options(maxObjectBytes, staleTempAge, value, space);
    }

    public Options withSpace(StoreSpace value) {
      return new Options(maxObjectBytes, staleTempAge, collectMinAge, value);
    }
  }

  /**
   * What a put did.
   *
   * @param sha256 the object's id
   * @param size its size in bytes
   * @param created true if this put published it, false if it was already in the store (then the
   *     stream was not read)
   */
  public record PutResult(String sha256, long size, boolean created) {}

  /** Objects in the store and their total size in bytes, for metrics. */
  public record Stats(long objects, long bytes) {}

  /** What a {@link #collect} freed: objects deleted and their total size in bytes. */
  public record Collected(long objects, long bytes) {}

  private static final int HEX_LENGTH = 64;
  private static final int STRIPES = 256;
  private static final int BUFFER_BYTES = 256 * 1024;
  private static final String TEMP_SUFFIX = ".part";
  /** A published object: read-only, and for the coordinator's user alone (ADR 0065; 0444 before). */
  private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OBJECT_MODE =
      PosixFilePermissions.fromString("r--------");
  private static final int MAX_REASON_CHARS = 1000;

  private final Path root;
  private final Path objects;
  private final Path incoming;
  private final Path pinsDir;
  private final Options options;
  private final StoreLock lock;

  /** Guards, per first byte of the id, the decision to publish or delete an object. */
  private final Object[] stripes = new Object[STRIPES];

  /** Ids with a put running (count of concurrent puts of each). */
  private final Map<String, Integer> putsInProgress = new ConcurrentHashMap<>();

  /** Temporary files being written now: never swept as stale. */
  private final Set<Path> activeTemps = ConcurrentHashMap.newKeySet();

  private final Map<String, String> pins = new ConcurrentHashMap<>();
  private final AtomicLong objectCount = new AtomicLong();
  private final AtomicLong objectBytes = new AtomicLong();
  private SpaceClaims space;
  private volatile boolean closed;

  private ArtifactStore(Path root, Options options, StoreLock lock) {
    this.root = root;
    this.objects = root.resolve("objects");
    this.incoming = root.resolve("incoming");
    this.pinsDir = root.resolve("pins");
    this.options = options;
    this.lock = lock;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  /**
   * Opens (creating if needed) the store in a directory: takes its lock, deletes stale temporary
   * files, loads the pins and counts the objects.
   *
   * @throws IOException if the directory cannot be created or read, or another store (in this or
   *     another process) has it open
   */
  public static ArtifactStore openAt(Path directory, Options options) throws IOException {
    Objects.requireNonNull(options, "options");
    Path root = Files.createDirectories(directory).toAbsolutePath();
    Path lockFile = root.resolve("store.lock");
    StoreLock lock =
        StoreLock.tryAcquire(lockFile)
            .orElseThrow(
                () ->
                    new IOException(
                        "artifact store "
                            + root
                            + " is already open (its lock "
                            + lockFile
                            + " is held); give every coordinator its own data directory, or stop the"
                            + " other one"));
    ArtifactStore store = new ArtifactStore(root, options, lock);
    try {
      store.start();
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  private void start() throws IOException {
    Files.createDirectories(objects);
    Files.createDirectories(incoming);
    Files.createDirectories(pinsDir);
    sweepStaleTemps();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(pinsDir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (isValidId(name)) {
          pins.put(name, Files.readString(entry, StandardCharsets.UTF_8));
        }
      }
    }
    long count = 0;
    long bytes = 0;
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(objects)) {
      for (Path shard : shards) {
        if (!Files.isDirectory(shard)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
          for (Path file : files) {
            if (isObjectFile(shard, file)) {
              count++;
              bytes += Files.size(file);
            }
          }
        }
      }
    }
    objectCount.set(count);
    objectBytes.set(bytes);
    space = new SpaceClaims(options.space(), root, objectBytes::get);
  }

  /** The store's directory. */
  public Path directory() {
    return root;
  }

  public Options options() {
    return options;
  }

  /**
   * Checks that a string is an artifact id: a sha256 as exactly 64 lower-case hex digits.
   *
   * @return the id, unchanged
   * @throws InvalidArtifactIdException naming the id and what is wrong with it
   */
  public static String requireValidId(String id) {
    if (id == null) {
      throw new InvalidArtifactIdException(null, "artifact id is missing: expected a sha256 as 64"
          + " lower-case hex digits");
    }
    String problem = null;
    if (id.length() != HEX_LENGTH) {
      problem = "it has " + id.length() + " characters";
    } else {
      for (int i = 0; i < id.length(); i++) {
        char c = id.charAt(i);
        if (!isLowerHex(c)) {
          problem =
              (c >= 'A' && c <= 'F' ? "upper-case " : "")
                  + "character "
                  + printable(String.valueOf(c))
                  + " at position "
                  + (i + 1);
          break;
        }
      }
    }
    if (problem != null) {
      throw new InvalidArtifactIdException(
          id,
          "artifact id \""
              + printable(id)
              + "\" is not a sha256: "
              + problem
              + ", expected exactly 64 lower-case hex digits (0-9, a-f)");
    }
    return id;
  }

  /** True if the string is exactly 64 lower-case hex digits. */
  public static boolean isValidId(String id) {
    if (id == null || id.length() != HEX_LENGTH) {
      return false;
    }
    for (int i = 0; i < HEX_LENGTH; i++) {
      if (!isLowerHex(id.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Stores an object, checking it is what was announced. The stream is read to its end (or until
   * it passes the size limit) but not closed. If the object is already stored, nothing is read and
   * the result says {@code created == false}; the object's age for {@link #collect} restarts.
   *
   * @throws InvalidArtifactIdException if the announced id is not a sha256
   * @throws DigestMismatchException if the bytes hash to another sha256 (nothing stored)
   * @throws ArtifactTooLargeException if the stream passes the size limit (nothing stored)
   * @throws IOException if reading the stream or writing the disk fails (nothing stored)
   */
  public PutResult put(String announcedSha256, InputStream content) throws IOException {
    return put(announcedSha256, content, -1);
  }

  /**
   * {@link #put(String, InputStream)} of an object whose uploader declared its size: the space for all of it is
   * claimed before a byte is written.
   *
   * @param declaredSize the size the uploader announced (e.g. its Content-Length); -1: unknown, space is claimed
   *     as the bytes arrive
   * @throws StoreFullException if the object would cross the store's quota or eat into its file system's reserve
   *     ({@link Options#space}; nothing stored)
   */
  public PutResult put(String announcedSha256, InputStream content, long declaredSize) throws IOException {
    return put(announcedSha256, content, declaredSize, true);
  }

  /**
   * {@link #put(String, InputStream)} of an object the coordinator stores for itself, not for a client: a
   * submission's pinned definition, a nightly component given on the command line. It is not held to the
   * {@link Options#space} limits, which bound what clients send (ADR 0041): a submit must not fail because
   * uploads filled the store, and the free-space reserve is what leaves room for these small writes.
   */
  public PutResult putOwn(String sha256, InputStream content) throws IOException {
    return put(sha256, content, -1, false);
  }

  private PutResult put(String announcedSha256, InputStream content, long declaredSize, boolean limited)
      throws IOException {
    String id = requireValidId(announcedSha256);
    Objects.requireNonNull(content, "content");
    requireOpen();
    Path target = objectPath(id);
    putsInProgress.merge(id, 1, Integer::sum);
    try {
      synchronized (stripe(id)) {
        Optional<Long> existing = touchIfPresent(target);
        if (existing.isPresent()) {
          return new PutResult(id, existing.get(), false);
        }
      }
      SpaceClaims.Claim claim = space.open(id, limited);
      Path temp = Files.createTempFile(incoming, id + ".", TEMP_SUFFIX);
      activeTemps.add(temp);
      try (claim) {
        claim.cover(Math.max(declaredSize, 1)); // before a byte is written: all of it when its size is known
        long size = writeVerified(id, content, temp, claim);
        Files.setPosixFilePermissions(temp, OBJECT_MODE);
        synchronized (stripe(id)) {
          Optional<Long> existing = touchIfPresent(target);
          if (existing.isPresent()) {
            // a concurrent put of the same object published first: same bytes, keep theirs
            return new PutResult(id, existing.get(), false);
          }
          Path shard = target.getParent();
          if (!Files.isDirectory(shard)) {
            Files.createDirectories(shard);
            fsyncDirectory(objects);
          }
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
          fsyncDirectory(shard);
          objectCount.incrementAndGet();
          objectBytes.addAndGet(size);
          return new PutResult(id, size, true);
        }
      } finally {
        Files.deleteIfExists(temp);
        activeTemps.remove(temp);
      }
    } finally {
      putsInProgress.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  /** Streams into the temporary file, hashing and counting; fsyncs; checks digest and size. */
  private long writeVerified(String id, InputStream content, Path temp, SpaceClaims.Claim claim)
      throws IOException {
    long limit = options.maxObjectBytes();
    long size = 0;
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
      OutputStream file = Channels.newOutputStream(channel);
      DigestOutputStream hashing = Sha256.hashing(file);
      byte[] buffer = new byte[BUFFER_BYTES];
      for (int n; (n = content.read(buffer)) != -1; ) {
        size += n;
        if (size > limit) {
          throw new ArtifactTooLargeException(id, limit);
        }
        claim.cover(size);
        hashing.write(buffer, 0, n);
        claim.wrote(n);
      }
      hashing.flush();
      String actual = Sha256.hex(hashing.getMessageDigest());
      if (!actual.equals(id)) {
        throw new DigestMismatchException(id, actual, size);
      }
      channel.force(true);
    }
    return size;
  }

  /** If the object exists, restarts its age and returns its size. Caller holds the stripe. */
  private static Optional<Long> touchIfPresent(Path target) throws IOException {
    try {
      BasicFileAttributes attributes = Files.readAttributes(target, BasicFileAttributes.class);
      Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
      return Optional.of(attributes.size());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Opens an object for reading.
   *
   * @throws ArtifactNotFoundException if the store does not hold it
   */
  public InputStream open(String sha256) throws IOException {
    String id = requireValidId(sha256);
    try {
      return Files.newInputStream(objectPath(id));
    } catch (NoSuchFileException e) {
      throw notFound(id);
    }
  }

  /**
   * Where an object's file is, for zero-copy sending (e.g. Vert.x {@code sendFile}). Read it only:
   * never write, rename or delete it. It may be collected after this returns unless it is live or
   * pinned.
   *
   * @throws ArtifactNotFoundException if the store does not hold it
   */
  public Path file(String sha256) throws IOException {
    String id = requireValidId(sha256);
    Path path = objectPath(id);
    if (!Files.exists(path)) {
      throw notFound(id);
    }
    return path;
  }

  /** True if the store holds the object. */
  public boolean exists(String sha256) {
    return Files.exists(objectPath(requireValidId(sha256)));
  }

  /**
   * Restarts an object's age for {@link #collect}, as a re-put would, if the store holds it. A
   * caller about to record a reference to an object (a build naming a component) touches it first:
   * a collect whose live set was read before the reference was recorded then finds it too young to
   * delete.
   *
   * @return false if the store does not hold the object
   */
  public boolean touch(String sha256) throws IOException {
    String id = requireValidId(sha256);
    requireOpen();
    synchronized (stripe(id)) {
      return touchIfPresent(objectPath(id)).isPresent();
    }
  }

  /**
   * An object's size in bytes.
   *
   * @throws ArtifactNotFoundException if the store does not hold it
   */
  public long size(String sha256) throws IOException {
    String id = requireValidId(sha256);
    try {
      return Files.size(objectPath(id));
    } catch (NoSuchFileException e) {
      throw notFound(id);
    }
  }

  /**
   * Deletes an object.
   *
   * @return true if it was deleted, false if the store did not hold it
   * @throws ArtifactPinnedException if it is pinned (unpin it first)
   */
  public boolean delete(String sha256) throws IOException {
    String id = requireValidId(sha256);
    requireOpen();
    synchronized (stripe(id)) {
      String reason = pins.get(id);
      if (reason != null) {
        throw new ArtifactPinnedException(id, reason);
      }
      return deleteObject(id) >= 0;
    }
  }

  /** Deletes an object's file and counts it out; -1 if absent. Caller holds the stripe. */
  private long deleteObject(String id) throws IOException {
    Path path = objectPath(id);
    long size;
    try {
      size = Files.size(path);
    } catch (NoSuchFileException e) {
      return -1;
    }
    if (!Files.deleteIfExists(path)) {
      return -1;
    }
    objectCount.decrementAndGet();
    objectBytes.addAndGet(-size);
    return size;
  }

  /**
   * Pins a stored object so that {@link #collect} and {@link #delete} keep it, for a reason shown
   * to operators (e.g. "release 1.4 of photon-2.0"). Pinning again replaces the reason. Pins are
   * durable: they survive a restart.
   *
   * @throws ArtifactNotFoundException if the store does not hold the object
   * @throws IllegalArgumentException if the reason is blank, longer than 1000 characters or more
   *     than one line
   */
  public void pin(String sha256, String reason) throws IOException {
    String id = requireValidId(sha256);
    requireOpen();
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("pin of " + id + " needs a reason (who or what keeps it)");
    }
    if (reason.length() > MAX_REASON_CHARS || reason.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException(
          "pin reason for "
              + id
              + " must be one line of at most "
              + MAX_REASON_CHARS
              + " printable characters, was \""
              + printable(reason)
              + "\"");
    }
    synchronized (stripe(id)) {
      if (!Files.exists(objectPath(id))) {
        throw notFound(id);
      }
      Path temp = Files.createTempFile(incoming, "pin-" + id + ".", TEMP_SUFFIX);
      activeTemps.add(temp);
      try {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
          channel.write(ByteBuffer.wrap(reason.getBytes(StandardCharsets.UTF_8)));
          channel.force(true);
        }
        Files.move(
            temp, pinsDir.resolve(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(pinsDir);
      } finally {
        Files.deleteIfExists(temp);
        activeTemps.remove(temp);
      }
      pins.put(id, reason);
    }
  }

  /**
   * Removes an object's pin; the object stays until it is deleted or collected.
   *
   * @return true if it was pinned
   */
  public boolean unpin(String sha256) throws IOException {
    String id = requireValidId(sha256);
    requireOpen();
    synchronized (stripe(id)) {
      boolean removed = Files.deleteIfExists(pinsDir.resolve(id));
      if (removed) {
        fsyncDirectory(pinsDir);
      }
      return pins.remove(id) != null || removed;
    }
  }

  /** The reason an object is pinned, if it is. */
  public Optional<String> pinReason(String sha256) {
    return Optional.ofNullable(pins.get(requireValidId(sha256)));
  }

  /** Every pin: id to reason, sorted by id. */
  public Map<String, String> pins() {
    return Collections.unmodifiableMap(new TreeMap<>(pins));
  }

  /**
   * Deletes every object that is not in {@code live}, not pinned, not being put right now and not
   * younger than {@link Options#collectMinAge}; also deletes stale temporary files of crashed
   * uploads. Runs alongside puts and reads.
   *
   * @param live ids to keep (e.g. the artifacts of the last N successful builds per repo and
   *     target, and components referenced by queued builds)
   * @return the objects deleted and the bytes they held
   * @throws InvalidArtifactIdException if an id in {@code live} is not a sha256 (nothing deleted)
   */
  public Collected collect(Set<String> live) throws IOException {
    for (String id : live) {
      requireValidId(id);
    }
    requireOpen();
    Instant youngest = Instant.now().minus(options.collectMinAge());
    long deleted = 0;
    long freed = 0;
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(objects)) {
      for (Path shard : shards) {
        if (!Files.isDirectory(shard)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
          for (Path file : files) {
            if (!isObjectFile(shard, file)) {
              continue;
            }
            String id = file.getFileName().toString();
            if (live.contains(id) || pins.containsKey(id) || putsInProgress.containsKey(id)) {
              continue;
            }
            synchronized (stripe(id)) {
              if (pins.containsKey(id) || putsInProgress.containsKey(id)) {
                continue;
              }
              FileTime modified;
              try {
                modified = Files.getLastModifiedTime(file);
              } catch (NoSuchFileException e) {
                continue;
              }
              if (modified.toInstant().isAfter(youngest)) {
                continue;
              }
              long size = deleteObject(id);
              if (size >= 0) {
                deleted++;
                freed += size;
              }
            }
          }
        }
      }
    }
    sweepStaleTemps();
    return new Collected(deleted, freed);
  }

  /**
   * What {@link #collect} would delete now, by id with its size, without deleting anything: a dry run of a
   * collection ({@code bootfarm gc --dry-run}).
   */
  public Map<String, Long> collectable(Set<String> live) throws IOException {
    Instant youngest = Instant.now().minus(options.collectMinAge());
    Map<String, Long> collectable = new java.util.TreeMap<>();
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(objects)) {
      for (Path shard : shards) {
        if (!Files.isDirectory(shard)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
          for (Path file : files) {
            String id = file.getFileName().toString();
            if (!isObjectFile(shard, file) || live.contains(id) || pins.containsKey(id)
                || putsInProgress.containsKey(id)) {
              continue;
            }
            try {
              if (!Files.getLastModifiedTime(file).toInstant().isAfter(youngest)) {
                collectable.put(id, Files.size(file));
              }
            } catch (NoSuchFileException e) {
              // deleted meanwhile: nothing to collect
            }
          }
        }
      }
    }
    return collectable;
  }

  /** Object count and total bytes, kept current by every put and delete (no disk access). */
  public Stats stats() {
    return new Stats(objectCount.get(), objectBytes.get());
  }

  /**
   * Releases the directory lock; later puts, deletes, pins and collects are refused (reads still
   * work). Puts already running finish.
   */
  @Override
  public void close() throws IOException {
    closed = true;
    lock.close();
  }

  private void sweepStaleTemps() throws IOException {
    Instant staleBefore = Instant.now().minus(options.staleTempAge());
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(incoming)) {
      for (Path entry : entries) {
        if (activeTemps.contains(entry) || !Files.isRegularFile(entry)) {
          continue;
        }
        try {
          if (!Files.getLastModifiedTime(entry).toInstant().isAfter(staleBefore)) {
            Files.deleteIfExists(entry);
          }
        } catch (NoSuchFileException e) {
          // finished or removed meanwhile
        }
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(
          "artifact store " + root + " is closed; open it again to change it");
    }
  }

  private Path objectPath(String id) {
    return objects.resolve(id.substring(0, 2)).resolve(id);
  }

  private static boolean isObjectFile(Path shard, Path file) {
    String name = file.getFileName().toString();
    return isValidId(name)
        && name.startsWith(shard.getFileName().toString())
        && Files.isRegularFile(file);
  }

  private Object stripe(String id) {
    return stripes[Integer.parseInt(id, 0, 2, 16)];
  }

  private ArtifactNotFoundException notFound(String id) {
    return new ArtifactNotFoundException(
        id, "no artifact " + id + " in the artifact store " + root + "; upload it first");
  }

  private static void fsyncDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static boolean isLowerHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }

  /** The string cut to 80 characters with control characters escaped, for error messages. */
  private static String printable(String s) {
    StringBuilder out = new StringBuilder();
    int end = Math.min(s.length(), 80);
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else {
        out.append(c);
      }
    }
    if (s.length() > end) {
      out.append("…(").append(s.length()).append(" characters)");
    }
    return out.toString();
  }
}
