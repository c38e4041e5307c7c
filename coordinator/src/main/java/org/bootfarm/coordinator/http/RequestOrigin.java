package org.bootfarm.coordinator.http;

import java.util.Locale;

/**
 * Decides whether a request may have come from a web page rather than a farm client, before any route sees
 * it: a browser lets any page send a "simple" cross-origin POST ({@code text/plain}, no custom header) to a
 * coordinator on the operator's loopback, and DNS rebinding lets a page address one under a name of its own.
 * So a server bound to a loopback address answers only requests whose {@code Host} is a loopback name or
 * address, and every JSON body must say {@code Content-Type: application/json} (which a page can only send
 * after a CORS preflight this server never grants).
 */
final class RequestOrigin {

  private RequestOrigin() {
  }

  /** Whether the server's bind address {@code host} is a loopback one (then {@link #loopbackHost} applies). */
  static boolean isLoopbackBind(String host) {
    return host != null && isLoopbackName(host.toLowerCase(Locale.ROOT));
  }

  /** Whether a {@code Host} header ({@code name}, {@code name:port}, {@code [v6]:port}) names this machine's loopback. */
  static boolean loopbackHost(String header) {
    if (header == null || header.isBlank()) {
      return false;
    }
    String host = header.trim().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end > 0 && host.substring(1, end).equals("::1") && (end == host.length() - 1
          || host.substring(end + 1).matches(":\\d{1,5}"));
    }
    int colon = host.indexOf(':');
    if (colon >= 0) {
      if (!host.substring(colon + 1).matches("\\d{1,5}")) {
        return false;
      }
      host = host.substring(0, colon);
    }
    return isLoopbackName(host);
  }

  private static boolean isLoopbackName(String host) {
    return host.equals("localhost") || host.equals("localhost.") || host.endsWith(".localhost")
        || host.equals("::1") || host.equals("[::1]")
        || host.matches("127\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)");
  }

  /** Whether a {@code Content-Type} header says JSON: {@code application/json}, parameters allowed. */
  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    return media.equalsIgnoreCase("application/json");
  }
}
