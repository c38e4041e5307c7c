package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code manifest.json}: every file of a build's images (initramfs and ISO) with its type,
 * mode, owner, size and sha256, ordered by image then by path bytes, so that two builds can be
 * compared file by file and the nightly verdict can name the files that differ. The worker writes
 * it (from a scanned tree, {@code org.bootfarm.worker.record.TreeManifest}); the coordinator reads
 * it to judge two builds.
 *
 * @param entries the files, in (image, path bytes) order
 */
public record Manifest(List<ManifestEntry> entries) {

  /** The name a build publishes its manifest under. */
  public static final String FILE_NAME = "manifest.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Two-space indent and '\n' on every platform, so the file's bytes are stable too. */
  private static final DefaultPrettyPrinter PRETTY =
      new DefaultPrettyPrinter()
          .withObjectIndenter(new DefaultIndenter("  ", "\n"))
          .withArrayIndenter(new DefaultIndenter("  ", "\n"));

  /** Paths compared by their UTF-8 bytes, unsigned: the order of every deterministic writer. */
  public static final Comparator<String> PATH_BYTE_ORDER =
      (a, b) ->
          Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  /** The order entries are kept in: image name, then the bytes of the path. */
  public static final Comparator<ManifestEntry> ORDER =
      Comparator.comparing(ManifestEntry::image)
          .thenComparing(ManifestEntry::path, PATH_BYTE_ORDER);

  @JsonCreator
  public Manifest(@JsonProperty("entries") List<ManifestEntry> entries) {
    List<ManifestEntry> sorted = new ArrayList<>(entries);
    sorted.sort(ORDER);
    this.entries = List.copyOf(sorted);
  }

  /** This manifest and another's entries together (e.g. the initramfs and the ISO). */
  public Manifest merge(Manifest other) {
    List<ManifestEntry> all = new ArrayList<>(entries);
    all.addAll(other.entries);
    return new Manifest(all);
  }

  /** The paths of one image, in order. */
  public List<String> paths(String image) {
    return entries.stream().filter(e -> e.image().equals(image)).map(ManifestEntry::path).toList();
  }

  /**
   * A file that is not the same in two manifests.
   *
   * @param image the image it is in
   * @param path its path
   * @param left this manifest's entry, or null when only the other has the path
   * @param right the other manifest's entry, or null when only this one has the path
   */
  public record Difference(String image, String path, ManifestEntry left, ManifestEntry right) {

    public Long leftSize() {
      return left == null ? null : left.size();
    }

    public String leftSha256() {
      return left == null ? null : left.sha256();
    }

    public Long rightSize() {
      return right == null ? null : right.size();
    }

    public String rightSha256() {
      return right == null ? null : right.sha256();
    }

    /** What differs, in words: "only left", "sha256", "mode", ... (several joined by ", "). */
    public String what() {
      if (left == null) {
        return "only right";
      }
      if (right == null) {
        return "only left";
      }
      List<String> fields = new ArrayList<>();
      if (!left.type().equals(right.type())) fields.add("type");
      if (!left.mode().equals(right.mode())) fields.add("mode");
      if (left.uid() != right.uid() || left.gid() != right.gid()) fields.add("owner");
      if (left.size() != right.size()) fields.add("size");
      if (!Objects.equals(left.sha256(), right.sha256())) fields.add("sha256");
      if (!Objects.equals(left.target(), right.target())) fields.add("target");
      return String.join(", ", fields);
    }
  }

  /** Every path whose entry differs between this manifest and {@code other}, in order. */
  public List<Difference> diff(Manifest other) {
    Map<String, ManifestEntry> mine = byKey(entries);
    Map<String, ManifestEntry> theirs = byKey(other.entries);
    List<Difference> differences = new ArrayList<>();
    for (ManifestEntry e : entries) {
      ManifestEntry o = theirs.get(key(e));
      if (!e.equals(o)) {
        differences.add(new Difference(e.image(), e.path(), e, o));
      }
    }
    for (ManifestEntry o : other.entries) {
      if (!mine.containsKey(key(o))) {
        differences.add(new Difference(o.image(), o.path(), null, o));
      }
    }
    differences.sort(
        Comparator.comparing(Difference::image).thenComparing(Difference::path, PATH_BYTE_ORDER));
    return differences;
  }

  private static Map<String, ManifestEntry> byKey(List<ManifestEntry> entries) {
    Map<String, ManifestEntry> map = new LinkedHashMap<>();
    for (ManifestEntry e : entries) {
      map.put(key(e), e);
    }
    return map;
  }

  private static String key(ManifestEntry e) {
    return e.image() + "\0" + e.path();
  }

  /**
   * The bytes of {@code manifest.json}: pretty JSON, two-space indent, '\n' line ends and a
   * trailing newline, so the same manifest always gives the same bytes.
   */
  public byte[] toJson() {
    try {
      return (JSON.writer(PRETTY).writeValueAsString(this) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a manifest as JSON: " + e.getMessage(), e);
    }
  }

  /** Reads a manifest written by {@link #toJson}. */
  public static Manifest readJson(Path file) throws IOException {
    try {
      return JSON.readValue(file.toFile(), Manifest.class);
    } catch (IOException e) {
      throw new IOException("cannot read manifest " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a manifest from a stream (e.g. an artifact store object), naming {@code source} when it
   * is not one.
   */
  public static Manifest readJson(InputStream in, String source) throws IOException {
    try {
      return JSON.readValue(in, Manifest.class);
    } catch (IOException e) {
      throw new IOException("cannot read manifest " + source + ": " + e.getMessage(), e);
    }
  }
}
