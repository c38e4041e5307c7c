package org.bootfarm.coordinator.bridge;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A bridge client at the byte level, for tests: writes any frame (also broken ones) and reads the answers. */
final class FrameSocket implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;

  FrameSocket(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(10_000);
    this.in = new DataInputStream(socket.getInputStream());
    this.out = new DataOutputStream(socket.getOutputStream());
  }

  static FrameSocket connect(int port) throws IOException {
    return new FrameSocket(new Socket("127.0.0.1", port));
  }

  void send(JsonObject frame) throws IOException {
    sendRaw(frame.encode().getBytes(StandardCharsets.UTF_8));
  }

  void sendRaw(byte[] json) throws IOException {
    out.writeInt(json.length);
    out.write(json);
    out.flush();
  }

  void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  JsonObject read() throws IOException {
    int length = in.readInt();
    byte[] json = new byte[length];
    in.readFully(json);
    return new JsonObject(new String(json, StandardCharsets.UTF_8));
  }

  /** True when the server closed the connection (after reading what it still sent). */
  boolean closedByServer() throws IOException {
    try {
      while (true) {
        read();
      }
    } catch (EOFException e) {
      return true;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
