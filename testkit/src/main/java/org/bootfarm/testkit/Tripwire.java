package org.bootfarm.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener where an upstream repository was (or is said to be), on 127.0.0.1, counting every connection
 * made to it and answering none: what a test of a rebuild from archived inputs asserts stays at zero.
 */
public final class Tripwire implements AutoCloseable {
  private final ServerSocket socket;
  private final AtomicInteger connections = new AtomicInteger();

  private Tripwire(int port) throws IOException {
    socket = new ServerSocket();
    socket.setReuseAddress(true); // the stopped upstream's port may still be in TIME_WAIT
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    Thread accepting = new Thread(() -> {
      while (!socket.isClosed()) {
        try (Socket connection = socket.accept()) {
          connections.incrementAndGet();
        } catch (IOException closed) {
          return;
        }
      }
    }, "upstream-tripwire");
    accepting.setDaemon(true);
    accepting.start();
  }

  /** A tripwire on {@code port} of 127.0.0.1 (the port of an upstream the test stopped). */
  public static Tripwire on(int port) throws IOException {
    return new Tripwire(port);
  }

  /** A tripwire on a free port, for a source the test points there itself. */
  public static Tripwire onFreePort() throws IOException {
    return new Tripwire(0);
  }

  /** The port it listens on. */
  public int port() {
    return socket.getLocalPort();
  }

  /** How many connections were made to it so far. */
  public int connections() {
    return connections.get();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
