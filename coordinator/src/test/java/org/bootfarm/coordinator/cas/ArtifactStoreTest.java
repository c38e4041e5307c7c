package org.bootfarm.coordinator.cas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class ArtifactStoreTest {

  /** Collects everything that is not live or pinned, at once; temp files stale after an hour. */
  private static final ArtifactStore.Options EAGER =
      ArtifactStore.Options.defaults().withCollectMinAge(Duration.ZERO);

  @TempDir Path temp;
  private final List<ArtifactStore> opened = new ArrayList<>();

  @AfterEach
  void closeStores() throws IOException {
    for (ArtifactStore store : opened) {
      store.close();
    }
  }

  private ArtifactStore open(ArtifactStore.Options options) throws IOException {
    ArtifactStore store = ArtifactStore.openAt(temp.resolve("store"), options);
    opened.add(store);
    return store;
  }

  private static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  @Test
  void storedObjectReadsBackUnderItsHash() throws Exception {
    ArtifactStore store = open(EAGER);
    byte[] data = bytes(300_000, 1);
    String sha = Sha256.of(data);

    ArtifactStore.PutResult put = store.put(sha, new ByteArrayInputStream(data));

    assertEquals(new ArtifactStore.PutResult(sha, data.length, true), put);
    assertTrue(store.exists(sha));
    assertEquals(data.length, store.size(sha));
    try (InputStream in = store.open(sha)) {
      assertArrayEquals(data, in.readAllBytes());
    }
    Path file = temp.resolve("store/objects").resolve(sha.substring(0, 2)).resolve(sha);
    assertEquals(file, store.file(sha));
    assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "read-only, and only"
        + " for the coordinator's user");
    assertEquals(new ArtifactStore.Stats(1, data.length), store.stats());
    assertEquals(List.of(), filesUnder("incoming"), "no temporary file left");
  }

  @Test
  void contentThatHashesToAnotherShaIsRejectedAndNothingPublished() throws Exception {
    ArtifactStore store = open(EAGER);
    String announced = Sha256.of(bytes(1000, 2));
    byte[] sent = bytes(1000, 3);

    DigestMismatchException e =
        assertThrows(
            DigestMismatchException.class, () -> store.put(announced, new ByteArrayInputStream(sent)));

    assertTrue(e.getMessage().contains(announced), e.getMessage());
    assertTrue(e.getMessage().contains(Sha256.of(sent)), e.getMessage());
    assertEquals(Sha256.of(sent), e.actualSha256());
    assertFalse(store.exists(announced));
    assertFalse(store.exists(Sha256.of(sent)));
    assertEquals(List.of(), filesUnder("objects"));
    assertEquals(List.of(), filesUnder("incoming"));
    assertEquals(new ArtifactStore.Stats(0, 0), store.stats());
  }

  @Test
  void uploadThatBreaksMidwayLeavesNothing() throws Exception {
    ArtifactStore store = open(EAGER);
    byte[] data = bytes(2_000_000, 4);
    String sha = Sha256.of(data);
    InputStream breaksAfterOneMegabyte =
        new InputStream() {
          private final InputStream in = new ByteArrayInputStream(data);
          private long read;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (read >= 1_000_000) {
              throw new IOException("connection reset by peer");
            }
            int n = in.read(b, off, Math.min(len, 100_000));
            read += n;
            return n;
          }
        };

    IOException e = assertThrows(IOException.class, () -> store.put(sha, breaksAfterOneMegabyte));

    assertEquals("connection reset by peer", e.getMessage());
    assertFalse(store.exists(sha));
    assertEquals(List.of(), filesUnder("objects"));
    assertEquals(List.of(), filesUnder("incoming"));
    assertEquals(new ArtifactStore.Stats(0, 0), store.stats());
    assertTrue(store.put(sha, new ByteArrayInputStream(data)).created(), "a retry succeeds");
  }

  @Test
  void objectOverTheSizeLimitIsRejectedWhileStreaming() throws Exception {
    ArtifactStore store = open(EAGER.withMaxObjectBytes(1_000_000));
    byte[] atLimit = bytes(1_000_000, 5);
    AtomicLong served = new AtomicLong();
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            served.incrementAndGet();
            return 0;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            served.addAndGet(len);
            return len;
          }
        };
    String announced = Sha256.of(bytes(10, 6));

    ArtifactTooLargeException e =
        assertThrows(ArtifactTooLargeException.class, () -> store.put(announced, endless));

    assertTrue(e.getMessage().contains("1000000 bytes"), e.getMessage());
    assertTrue(served.get() < 2_000_000, "stopped reading soon after the limit: " + served.get());
    assertEquals(List.of(), filesUnder("objects"));
    assertEquals(List.of(), filesUnder("incoming"));
    assertTrue(
        store.put(Sha256.of(atLimit), new ByteArrayInputStream(atLimit)).created(),
        "an object of exactly the limit is accepted");
  }

  @Test
  void secondPutOfAStoredObjectReadsNothingAndChangesNothing() throws Exception {
    ArtifactStore store = open(EAGER);
    byte[] data = bytes(5000, 7);
    String sha = Sha256.of(data);
    store.put(sha, new ByteArrayInputStream(data));
    InputStream mustNotBeRead =
        new InputStream() {
          @Override
          public int read() {
            throw new AssertionError("the stream of an already stored object was read");
          }
        };

    ArtifactStore.PutResult again = store.put(sha, mustNotBeRead);

    assertEquals(new ArtifactStore.PutResult(sha, data.length, false), again);
    assertEquals(new ArtifactStore.Stats(1, data.length), store.stats());
    assertEquals(1, filesUnder("objects").size());
  }

  @Test
  void concurrentPutsOfTheSameAndOfDifferentObjectsAllLand() throws Exception {
    ArtifactStore store = open(EAGER);
    int threads = 8;
    List<byte[]> shared = List.of(bytes(400_000, 10), bytes(1, 11), bytes(700_000, 12));
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<ArtifactStore.PutResult>>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      byte[] own = bytes(100_000 + t, 100 + t);
      results.add(
          pool.submit(
              () -> {
                start.await();
                List<ArtifactStore.PutResult> done = new ArrayList<>();
                for (byte[] data : shared) {
                  done.add(store.put(Sha256.of(data), new ByteArrayInputStream(data)));
                }
                done.add(store.put(Sha256.of(own), new ByteArrayInputStream(own)));
                return done;
              }));
    }
    List<ArtifactStore.PutResult> all = new ArrayList<>();
    for (Future<List<ArtifactStore.PutResult>> result : results) {
      all.addAll(result.get(60, TimeUnit.SECONDS));
    }
    pool.shutdown();

    long expectedBytes = 0;
    for (byte[] data : shared) {
      String sha = Sha256.of(data);
      assertEquals(
          1,
          all.stream().filter(r -> r.sha256().equals(sha) && r.created()).count(),
          "exactly one put published " + sha);
      assertEquals(threads, all.stream().filter(r -> r.sha256().equals(sha)).count());
      try (InputStream in = store.open(sha)) {
        assertArrayEquals(data, in.readAllBytes());
      }
      expectedBytes += data.length;
    }
    for (int t = 0; t < threads; t++) {
      byte[] own = bytes(100_000 + t, 100 + t);
      try (InputStream in = store.open(Sha256.of(own))) {
        assertArrayEquals(own, in.readAllBytes());
      }
      expectedBytes += own.length;
    }
    assertEquals(new ArtifactStore.Stats(shared.size() + threads, expectedBytes), store.stats());
    assertEquals(shared.size() + threads, filesUnder("objects").size());
    assertEquals(List.of(), filesUnder("incoming"));
  }

  @Test
  void idsThatAreNotLowerCaseSha256AreRejectedNamingTheId() throws Exception {
    ArtifactStore store = open(EAGER);
    byte[] data = bytes(100, 13);
    String sha = Sha256.of(data);
    store.put(sha, new ByteArrayInputStream(data));
    Map<String, String> badIdsAndProblems =
        Map.of(
            "../../etc/passwd", "16 characters",
            "../../" + sha.substring(6), "character . at position 1",
            sha.toUpperCase(Locale.ROOT), "upper-case character",
            sha.substring(0, 63), "63 characters",
            "abc", "3 characters",
            sha.substring(0, 63) + "g", "character g at position 64",
            "", "0 characters");
    for (Map.Entry<String, String> bad : badIdsAndProblems.entrySet()) {
      String id = bad.getKey();
      List<ThrowingCall> calls =
          List.of(
              () -> store.put(id, new ByteArrayInputStream(data)),
              () -> store.open(id),
              () -> store.exists(id),
              () -> store.size(id),
              () -> store.file(id),
              () -> store.delete(id),
              () -> store.pin(id, "keep"),
              () -> store.unpin(id),
              () -> store.collect(Set.of(sha, id)));
      for (ThrowingCall call : calls) {
        InvalidArtifactIdException e =
            assertThrows(InvalidArtifactIdException.class, call::run, "id " + id);
        assertTrue(e.getMessage().contains("\"" + id + "\""), e.getMessage());
        assertTrue(e.getMessage().contains(bad.getValue()), e.getMessage());
        assertSame(id, e.id());
      }
    }
    assertThrows(InvalidArtifactIdException.class, () -> store.open(null));
    assertTrue(store.exists(sha), "collect with a bad live id deleted nothing");
    assertEquals(1, filesUnder("objects").size());
    assertFalse(Files.exists(temp.resolve("etc")));
  }

  @Test
  void collectKeepsLiveAndPinnedObjectsAndFreesTheRest() throws Exception {
    ArtifactStore store = open(EAGER);
    byte[] live = bytes(1000, 20);
    byte[] pinned = bytes(2000, 21);
    byte[] old1 = bytes(3000, 22);
    byte[] old2 = bytes(4000, 23);
    for (byte[] data : List.of(live, pinned, old1, old2)) {
      store.put(Sha256.of(data), new ByteArrayInputStream(data));
    }
    store.pin(Sha256.of(pinned), "release 1.0 of photon-2.0");

    ArtifactStore.Collected collected = store.collect(Set.of(Sha256.of(live)));

    assertEquals(new ArtifactStore.Collected(2, 7000), collected);
    assertTrue(store.exists(Sha256.of(live)));
    assertTrue(store.exists(Sha256.of(pinned)));
    assertFalse(store.exists(Sha256.of(old1)));
    assertFalse(store.exists(Sha256.of(old2)));
    assertEquals(new ArtifactStore.Stats(2, 3000), store.stats());
    assertEquals(new ArtifactStore.Collected(0, 0), store.collect(Set.of(Sha256.of(live))));

    ArtifactPinnedException refused =
        assertThrows(ArtifactPinnedException.class, () -> store.delete(Sha256.of(pinned)));
    assertTrue(refused.getMessage().contains("release 1.0 of photon-2.0"), refused.getMessage());
    assertTrue(store.unpin(Sha256.of(pinned)));
    assertEquals(new ArtifactStore.Collected(1, 2000), store.collect(Set.of(Sha256.of(live))));
    assertTrue(store.delete(Sha256.of(live)));
    assertFalse(store.delete(Sha256.of(live)), "deleting an absent object says so");
    assertEquals(new ArtifactStore.Stats(0, 0), store.stats());
  }

  @Test
  void collectSparesRecentUploadsUntilTheyAreOldEnough() throws Exception {
    ArtifactStore store = open(EAGER.withCollectMinAge(Duration.ofHours(1)));
    byte[] recent = bytes(1000, 30);
    byte[] old = bytes(500, 31);
    store.put(Sha256.of(recent), new ByteArrayInputStream(recent));
    store.put(Sha256.of(old), new ByteArrayInputStream(old));
    Files.setLastModifiedTime(
        store.file(Sha256.of(old)), FileTime.from(Instant.now().minus(Duration.ofHours(2))));

    assertEquals(new ArtifactStore.Collected(1, 500), store.collect(Set.of()));
    assertTrue(store.exists(Sha256.of(recent)));

    // a put of the stored object makes it recent again
    store.put(Sha256.of(old), new ByteArrayInputStream(old));
    Files.setLastModifiedTime(
        store.file(Sha256.of(recent)), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    store.put(Sha256.of(recent), new ByteArrayInputStream(recent));
    assertEquals(new ArtifactStore.Collected(0, 0), store.collect(Set.of()));
  }

  @Test
  void collectDuringAnUploadLeavesTheUploadToFinish() throws Exception {
    ArtifactStore store = open(EAGER.withStaleTempAge(Duration.ZERO));
    byte[] data = bytes(1_000_000, 40);
    String sha = Sha256.of(data);
    CountDownLatch halfSent = new CountDownLatch(1);
    CountDownLatch collected = new CountDownLatch(1);
    InputStream pausesHalfway =
        new InputStream() {
          private final InputStream in = new ByteArrayInputStream(data);
          private long read;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (read >= data.length / 2 && halfSent.getCount() > 0) {
              halfSent.countDown();
              try {
                collected.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
            }
            int n = in.read(b, off, Math.min(len, 100_000));
            read += Math.max(n, 0);
            return n;
          }
        };
    ExecutorService uploader = Executors.newSingleThreadExecutor();
    Future<ArtifactStore.PutResult> put = uploader.submit(() -> store.put(sha, pausesHalfway));
    assertTrue(halfSent.await(30, TimeUnit.SECONDS));
    assertEquals(1, filesUnder("incoming").size(), "the upload's temporary file");

    assertEquals(new ArtifactStore.Collected(0, 0), store.collect(Set.of()));
    assertEquals(1, filesUnder("incoming").size(), "collect left the upload's temporary file");
    collected.countDown();

    assertTrue(put.get(30, TimeUnit.SECONDS).created());
    uploader.shutdown();
    try (InputStream in = store.open(sha)) {
      assertArrayEquals(data, in.readAllBytes());
    }
  }

  @Test
  void statsStayExactWhilePutsAndCollectsRunTogether() throws Exception {
    ArtifactStore store = open(EAGER);
    int threads = 4;
    int putsEach = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    CountDownLatch putsDone = new CountDownLatch(threads);
    List<Future<?>> work = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      work.add(
          pool.submit(
              () -> {
                try {
                  for (int i = 0; i < putsEach; i++) {
                    // a few objects recur across threads, so puts of one object race with collects
                    byte[] data = bytes(1000 + (i % 10), i % 3 == 0 ? i : 1000 * thread + i);
                    store.put(Sha256.of(data), new ByteArrayInputStream(data));
                  }
                } finally {
                  putsDone.countDown();
                }
                return null;
              }));
    }
    work.add(
        pool.submit(
            () -> {
              while (putsDone.getCount() > 0) {
                store.collect(Set.of());
              }
              return null;
            }));
    for (Future<?> f : work) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    ArtifactStore.Stats live = store.stats();
    long bytesOnDisk = 0;
    for (Path file : filesUnder("objects")) {
      bytesOnDisk += Files.size(temp.resolve("store/objects").resolve(file));
    }
    assertEquals(new ArtifactStore.Stats(filesUnder("objects").size(), bytesOnDisk), live);
    store.close();
    opened.remove(store);
    assertEquals(live, open(EAGER).stats(), "the recount at start agrees");
    assertEquals(List.of(), filesUnder("incoming"));
  }

  @Test
  void startDeletesStaleTemporaryFilesAndKeepsFreshOnes() throws Exception {
    Path incoming = Files.createDirectories(temp.resolve("store/incoming"));
    Path stale = Files.write(incoming.resolve("crashed-upload.part"), bytes(100, 50));
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(3))));
    Path fresh = Files.write(incoming.resolve("recent-upload.part"), bytes(100, 51));

    ArtifactStore store = open(EAGER.withStaleTempAge(Duration.ofHours(1)));

    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(fresh));
    assertEquals(new ArtifactStore.Stats(0, 0), store.stats(), "temporary files are not objects");
  }

  @Test
  void statsAndPinsAreTheSameAfterARestart() throws Exception {
    ArtifactStore store = open(EAGER);
    long bytes = 0;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      byte[] data = bytes(1000 * (i + 1), 60 + i);
      ids.add(store.put(Sha256.of(data), new ByteArrayInputStream(data)).sha256());
      bytes += data.length;
    }
    store.delete(ids.get(0));
    bytes -= 1000;
    store.pin(ids.get(1), "operator: keep for the audit");
    ArtifactStore.Stats before = store.stats();
    assertEquals(new ArtifactStore.Stats(4, bytes), before);
    store.close();
    opened.remove(store);

    ArtifactStore reopened = open(EAGER);

    assertEquals(before, reopened.stats());
    assertEquals(Map.of(ids.get(1), "operator: keep for the audit"), reopened.pins());
    assertEquals(new ArtifactStore.Collected(3, bytes - 2000), reopened.collect(Set.of()));
    assertTrue(reopened.exists(ids.get(1)));
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefused() throws Exception {
    open(EAGER);

    IOException e = assertThrows(IOException.class, () -> open(EAGER));

    assertTrue(e.getMessage().contains("already open"), e.getMessage());
    assertTrue(e.getMessage().contains(temp.resolve("store").toString()), e.getMessage());
  }

  @Test
  void aClosedStoreRefusesChangesButStillReads() throws Exception {
    ArtifactStore store = open(EAGER);
    byte[] data = bytes(100, 80);
    String sha = store.put(Sha256.of(data), new ByteArrayInputStream(data)).sha256();
    store.close();

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> store.put(sha, new ByteArrayInputStream(data)));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> store.collect(Set.of()));
    assertThrows(IllegalStateException.class, () -> store.delete(sha));
    assertThrows(IllegalStateException.class, () -> store.pin(sha, "keep"));
    assertTrue(store.exists(sha));
    opened.remove(store);
    assertEquals(new ArtifactStore.Stats(1, 100), open(EAGER).stats(), "reopening works");
  }

  @Test
  void missingObjectIsReportedNotFoundByItsHash() throws Exception {
    ArtifactStore store = open(EAGER);
    String sha = Sha256.of(bytes(10, 70));

    for (ThrowingCall call :
        List.<ThrowingCall>of(() -> store.open(sha), () -> store.size(sha), () -> store.file(sha),
            () -> store.pin(sha, "keep"))) {
      ArtifactNotFoundException e = assertThrows(ArtifactNotFoundException.class, call::run);
      assertTrue(e.getMessage().contains(sha), e.getMessage());
      assertEquals(sha, e.sha256());
    }
    assertFalse(store.exists(sha));
    assertThrows(IllegalArgumentException.class, () -> store.pin(sha, " "));
  }

  /** A call on the store that may throw anything. */
  private interface ThrowingCall {
    void run() throws Exception;
  }

  /** Regular files under a directory of the store, relative to it. */
  private List<Path> filesUnder(String directory) throws IOException {
    Path dir = temp.resolve("store").resolve(directory);
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
    }
  }
}
