package org.bootfarm.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client that sends a request with a chunked body of {@link #OFFERED} bytes, as fast as the server takes it, from a
 * thread of its own, and reads the status line the server answers meanwhile: what a server that refuses a body
 * without reading it all must stop (ADR 0041).
 */
final class EndlessChunkedBody {
  /** The body offered: far more than any limit or drain of the server. */
  static final long OFFERED = 256L << 20;

  /** The server's status line, and how many body bytes the server took before it closed the connection. */
  record Outcome(String statusLine, long sent) {}

  private EndlessChunkedBody() {}

  /** Sends {@code head} (request line and headers, without the chunked header) to 127.0.0.1:{@code port}. */
  static Outcome send(int port, String head) throws Exception {
    AtomicLong sent = new AtomicLong();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write((head + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      Thread sender = new Thread(() -> {
        byte[] chunk = ("10000\r\n" + "{".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        try {
          while (sent.get() < OFFERED) {
            out.write(chunk);
            sent.addAndGet(0x10000);
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          // the server closed the connection: what is expected
        }
      });
      sender.start();
      String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
      sender.join(30_000);
      assertFalse(sender.isAlive(), "the server neither read nor refused the rest of the body");
      return new Outcome(statusLine, sent.get());
    }
  }
}
