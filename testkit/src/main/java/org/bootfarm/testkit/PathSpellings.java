package org.bootfarm.testkit;

import java.util.List;
import java.util.Locale;

/**
 * The other spellings of an HTTP path that name the same resource once the path is normalized as routers do (RFC 3986
 * dot segments, doubled slashes joined, percent-encoded unreserved characters decoded, a trailing slash ignored): what
 * a server must answer as it answers the path itself, or refuse, when it decides who may call a path on its spelling.
 */
public final class PathSpellings {
  private PathSpellings() {}

  /**
   * {@code path} with a trailing slash, a doubled slash before its last segment, {@code /./} and {@code /x/../} there,
   * a leading doubled slash, and the first letter of its last segment percent-encoded.
   */
  public static List<String> otherThan(String path) {
    int last = path.lastIndexOf('/');
    String head = path.substring(0, last);
    String tail = path.substring(last + 1);
    return List.of(path + "/", head + "//" + tail, head + "/./" + tail, head + "/x/../" + tail, "/" + path,
        head + "/%" + Integer.toHexString(tail.charAt(0)).toUpperCase(Locale.ROOT) + tail.substring(1));
  }
}
