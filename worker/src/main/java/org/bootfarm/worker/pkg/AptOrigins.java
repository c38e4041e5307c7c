package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bootfarm.protocol.build.PackageOrigin;

/**
 * Where each installed package file came from, read offline from the indices apt verified: an apt lists
 * directory names each {@code Packages} index after its URL (apt's {@code URItoFileName}: the scheme dropped,
 * {@code _} and other unsafe characters percent-quoted, {@code /} turned into {@code _}), so the index a
 * package's stanza is in gives the archive's suite and component ({@code bookworm/main}), and the source URI
 * plus the stanza's {@code Filename} gives the file's URL. A package file is matched by its archive name and
 * its sha256, so only the very file that was installed gets an origin.
 */
public final class AptOrigins {
  private final Map<String, PackageOrigin> byFile;
  private final Map<String, String> sha256ByUrl;

  private AptOrigins(Map<String, PackageOrigin> byFile, Map<String, String> sha256ByUrl) {
    this.byFile = byFile;
    this.sha256ByUrl = sha256ByUrl;
  }

  /**
   * Reads the {@code Packages} indices of {@code listsDir} that belong to one of {@code uris} (the sources'
   * URIs, in the sources file's order), keeping the stanzas whose archive name is in {@code wanted}. When two
   * indices list the same file (a version in both a suite and its updates), the first index in name order
   * names it.
   */
  public static AptOrigins read(Path listsDir, List<String> uris, Set<String> wanted) throws IOException {
    Map<String, PackageOrigin> found = new HashMap<>();
    Map<String, String> urls = new HashMap<>();
    if (!Files.isDirectory(listsDir)) {
      return new AptOrigins(found, urls);
    }
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(listsDir)) {
      files.map(f -> f.getFileName().toString()).forEach(names::add);
    }
    for (String name : names) {
      Path index = listsDir.resolve(name);
      if (!AptPackageIndex.isPackagesIndex(index)) {
        continue;
      }
      Optional<Source> source = source(name, uris, names);
      if (source.isEmpty()) {
        continue; // an index of a source this build did not name
      }
      AptPackageIndex.readStanzas(index, stanza -> {
        if (stanza.sha256() != null && stanza.filename() != null && wanted.contains(stanza.archiveName())) {
          found.putIfAbsent(key(stanza.archiveName(), stanza.sha256()),
              new PackageOrigin(source.get().repository(), source.get().uri() + stanza.filename()));
          urls.putIfAbsent(source.get().uri() + stanza.filename(), stanza.sha256());
        }
      });
    }
    return new AptOrigins(found, urls);
  }

  /** The SHA256 the first index (in name order) listing a wanted file at {@code url} states for it. */
  public Optional<String> sha256At(String url) {
    return Optional.ofNullable(sha256ByUrl.get(url));
  }

  /** The origin of the package file named {@code archiveName} whose sha256 is {@code sha256}, if an index lists it. */
  public Optional<PackageOrigin> of(String archiveName, String sha256) {
    return Optional.ofNullable(byFile.get(key(archiveName, sha256)));
  }

  private static String key(String archiveName, String sha256) {
    return archiveName + " " + sha256;
  }

  /** A source URI (ending in {@code /}) and the repository one of its indices is of. */
  record Source(String uri, String repository) {}

  /**
   * The source and repository of the lists file {@code listName}: the URI whose lists prefix it starts with
   * (the longest), then {@code dists_<suite>_<component>_binary-<arch>_Packages} for an archive, the suite
   * being the one whose {@code InRelease} or {@code Release} is in {@code listNames} (suites and components
   * may hold {@code /}, which the name shows as {@code _}), or {@code <path>_Packages} for a flat repository.
   */
  static Optional<Source> source(String listName, List<String> uris, Set<String> listNames) {
    String base = listName.replaceFirst("\\.(gz|xz)$", "");
    List<String> candidates = new ArrayList<>(uris);
    candidates.sort(Comparator.comparingInt((String u) -> listsPrefix(u).length()).reversed());
    for (String uri : candidates) {
      String prefix = listsPrefix(uri);
      if (!base.startsWith(prefix) || !base.endsWith("_Packages")) {
        continue;
      }
      String rest = base.substring(prefix.length(), base.length() - "_Packages".length());
      String slashUri = uri.endsWith("/") ? uri : uri + "/";
      if (!rest.startsWith("dists_")) {
        return Optional.of(new Source(slashUri, unquote(rest)));
      }
      String dist = rest.substring("dists_".length());
      int binary = dist.lastIndexOf("_binary-");
      if (binary < 0) {
        continue;
      }
      String suiteAndComponent = dist.substring(0, binary);
      String suite = null;
      for (String release : List.of("_InRelease", "_Release")) {
        for (String name : listNames) {
          if (name.startsWith(prefix + "dists_") && name.endsWith(release)) {
            String s = name.substring((prefix + "dists_").length(), name.length() - release.length());
            if (suiteAndComponent.startsWith(s + "_") && (suite == null || s.length() > suite.length())) {
              suite = s;
            }
          }
        }
      }
      if (suite == null) {
        int cut = suiteAndComponent.indexOf('_');
        suite = cut < 0 ? suiteAndComponent : suiteAndComponent.substring(0, cut);
      }
      String component = suiteAndComponent.length() > suite.length()
          ? suiteAndComponent.substring(suite.length() + 1) : "";
      String repository = unquote(suite) + (component.isEmpty() ? "" : "/" + unquote(component));
      return Optional.of(new Source(slashUri, repository));
    }
    return Optional.empty();
  }

  /**
   * apt's {@code URItoFileName} of {@code uri} with a trailing {@code /}: what every lists file of that
   * source starts with, e.g. {@code deb.example.org_debian_} for {@code http://deb.example.org/debian}.
   */
  static String listsPrefix(String uri) {
    String u = uri.endsWith("/") ? uri : uri + "/";
    int scheme = u.indexOf(':');
    String rest = scheme > 0 && u.substring(0, scheme).matches("[a-z][a-z0-9+.-]*") ? u.substring(scheme + 1) : u;
    if (rest.startsWith("//")) {
      rest = rest.substring(2);
      int at = rest.indexOf('@');
      int slash = rest.indexOf('/');
      if (at >= 0 && (slash < 0 || at < slash)) {
        rest = rest.substring(at + 1); // user and password are dropped
      }
    }
    StringBuilder quoted = new StringBuilder();
    for (byte b : rest.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c <= 0x20 || c >= 0x7f || "\\|{}[]<>\"^~_=!@#$%^&*".indexOf(c) >= 0) {
        quoted.append(String.format("%%%02x", c));
      } else {
        quoted.append(c == '/' ? '_' : (char) c);
      }
    }
    return quoted.toString();
  }

  /** A lists-name part back to its text: {@code _} is {@code /}, {@code %xx} a quoted byte. */
  static String unquote(String part) {
    return percentDecoded(part.replace('_', '/'));
  }

  /** {@code %xx} sequences back to their bytes (UTF-8), as apt quotes names and URIs; a lone {@code %} is kept. */
  static String percentDecoded(String quoted) {
    byte[] bytes = quoted.getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '%' && i + 2 < bytes.length) {
        try {
          out.write(Integer.parseInt(new String(bytes, i + 1, 2, StandardCharsets.US_ASCII), 16));
          i += 2;
          continue;
        } catch (NumberFormatException e) {
          // a lone %, kept
        }
      }
      out.write(bytes[i]);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
