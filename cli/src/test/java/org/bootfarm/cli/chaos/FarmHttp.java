package org.bootfarm.cli.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The chaos benchmark's requests to a coordinator's HTTP API, with the admin token and short timeouts: a
 * coordinator that is down, cut off or stuck is an answer ({@code -1} or null), never an exception.
 */
final class FarmHttp {
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private final String token;

  /** A status (-1: no answer) and body. */
  record Answer(int status, String body) {}

  FarmHttp(String token) {
    this.token = token;
  }

  private HttpRequest.Builder request(String base, String path, int seconds) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(seconds))
        .header("Authorization", "Bearer " + token);
  }

  Answer post(String base, String path, String json) {
    try {
      HttpResponse<String> response = client.send(request(base, path, 15).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body());
    } catch (Exception e) {
      return new Answer(-1, e.toString());
    }
  }

  int put(String base, String path, byte[] bytes) {
    try {
      return client.send(request(base, path, 30).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** The body of a 200 answer; null otherwise. */
  String text(String base, String path, int seconds) {
    try {
      HttpResponse<String> response = client.send(request(base, path, seconds).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** The body of a 200 answer as JSON; null otherwise. */
  JsonNode json(String base, String path, int seconds) {
    String text = text(base, path, seconds);
    try {
      return text == null ? null : ChaosBenchmark.JSON.readTree(text);
    } catch (Exception e) {
      return null;
    }
  }

  /** The bytes of a 200 answer; null otherwise. */
  byte[] bytes(String base, String path, int seconds) {
    try {
      HttpResponse<byte[]> response = client.send(request(base, path, seconds).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (Exception e) {
      return null;
    }
  }
}
