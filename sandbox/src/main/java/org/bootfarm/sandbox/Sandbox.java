package org.bootfarm.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One bubblewrap sandbox, as the command line that runs a program in it: every hook, package
 * manager and depmod run of a build goes through one, and so does every tool the coordinator's
 * verdict runs over two untrusted ISOs. Whatever the caller adds, a sandbox always
 *
 * <ul>
 *   <li>has its own mount namespace whose root is read-only: the host's programs and a minimal
 *       {@code /etc} ({@link HostView}) read-only, a private {@code /proc} (its own pid namespace), a
 *       private read-only {@code /dev} with {@code null}, {@code zero}, {@code full}, {@code random},
 *       {@code urandom} and {@code tty}, a private {@code /tmp} (tmpfs), and only the host paths the
 *       caller names, read-only or writable; bubblewrap mounts every one of them {@code nosuid} and
 *       {@code nodev};</li>
 *   <li>starts from no capability ({@code --cap-drop ALL}) and keeps only the {@link Capability}s the
 *       caller names, with {@code no_new_privs} set by bubblewrap, so no exec (setuid or not) gains
 *       any; no capability that mounts, remounts or reaches outside the namespace exists to name;</li>
 *   <li>has no network ({@code --unshare-net}: only a loopback of its own) unless the caller asks
 *       for the host's, which only download phases do, never one that runs package scripts;</li>
 *   <li>has its own pid, IPC, UTS (hostname {@code bootfarm}) and cgroup namespaces, a new session
 *       (no terminal to push input into), and dies with the process that started it: when its first process exits,
 *       the kernel kills everything else in the pid namespace, so nothing it started outlives it.</li>
 * </ul>
 */
public final class Sandbox {

  /** The sandbox program (Debian package {@code bubblewrap}). */
  public static final String BWRAP = "bwrap";

  /**
   * The proxy settings a program may be passed from the host's environment. A proxy's URL may hold its
   * credentials: a sandbox without network unsets every one of them.
   */
  public static final List<String> PROXY_VARIABLES = List.of(
      "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY");

  /**
   * The host's device nodes {@link #devicesIn} binds into an image for its package scripts: the harmless ones
   * bwrap's own {@code /dev} holds too.
   */
  public static final List<String> IMAGE_DEVICE_NODES = List.of("null", "zero", "full", "random", "urandom", "tty");

  /** The hostname inside every sandbox. */
  public static final String HOSTNAME = "bootfarm";

  /** Whether a sandbox shares the host's network. */
  public enum Network {
    /** A network namespace of its own with only a loopback: nothing on the host or beyond is reachable. */
    NONE,
    /** The host's network, with its resolver configuration and TLS roots: download phases only. */
    HOST
  }

  private Network network = Network.NONE;
  private final Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
  private final List<String> mounts = new ArrayList<>();
  private Map<String, String> environment;
  private Path directory;

  private Sandbox() {}

  /** A sandbox with no network, no capability and nothing of the host but {@link HostView}'s. */
  public static Sandbox confined() {
    return new Sandbox();
  }

  /** Gives the sandbox the host's network (download phases only) or none. */
  public Sandbox network(Network shared) {
    this.network = shared;
    return this;
  }

  /** Keeps these capabilities when this process runs as root (each says why it is needed). */
  public Sandbox capabilities(Collection<Capability> kept) {
    capabilities.addAll(kept);
    return this;
  }

  /** Shows a host file or directory at the same path, read-only. It must exist. */
  public Sandbox readOnly(Path path) {
    String p = absolute(path);
    mounts.addAll(List.of("--ro-bind", p, p));
    return this;
  }

  /** Shows the host's {@code source} at {@code path}, read-only (a key file whose name is a link). */
  public Sandbox readOnly(Path source, Path path) {
    mounts.addAll(List.of("--ro-bind", absolute(source), absolute(path)));
    return this;
  }

  /** Shows a host directory at the same path, writable (but {@code nosuid} and {@code nodev}). It must exist. */
  public Sandbox writable(Path path) {
    String p = absolute(path);
    mounts.addAll(List.of("--bind", p, p));
    return this;
  }

  /**
   * Puts an empty tmpfs at {@code path}, hiding the host's directory there: what is written into it
   * is gone with the sandbox. Later {@link #readOnly} binds may show some of the host's entries in it.
   */
  public Sandbox emptyDirectory(Path path) {
    mounts.addAll(List.of("--tmpfs", absolute(path)));
    return this;
  }

  /**
   * Gives package scripts chrooted into {@code root} the host's harmless device nodes
   * ({@link #IMAGE_DEVICE_NODES}). The caller checks first that none of their mount points in the image is a
   * link (the worker's {@code ImageDevices}) and removes the empty files bwrap made for them afterwards.
   */
  public Sandbox devicesIn(Path root) {
    for (String node : IMAGE_DEVICE_NODES) {
      mounts.addAll(List.of("--dev-bind", "/dev/" + node, absolute(root.resolve("dev").resolve(node))));
    }
    return this;
  }

  /** Mounts the sandbox's own {@code /proc} at {@code root/proc} too, for package scripts chrooted there. */
  public Sandbox procIn(Path root) {
    mounts.addAll(procArguments(absolute(root.resolve("proc"))));
    return this;
  }

  /**
   * The entries of {@code /proc} that change the whole host, not the sandbox: the kernel's settings (a writable
   * {@code kernel.core_pattern} names a program the kernel runs as root outside every namespace),
   * {@code sysrq-trigger} (crash or reboot the host) and {@code fs}. The sandbox keeps uid 0, and the kernel checks
   * writes there by uid, not by capability: they are bound read-only over a {@code /proc}. bwrap does the same for
   * {@code irq} and {@code bus} itself.
   */
  private static final List<String> HOST_WIDE_PROC = List.of("sys", "sysrq-trigger", "fs");

  /** A {@code /proc} of the sandbox's own at {@code mountPoint}, with {@link #HOST_WIDE_PROC} read-only. */
  private static List<String> procArguments(String mountPoint) {
    List<String> arguments = new ArrayList<>(List.of("--proc", mountPoint));
    for (String entry : HOST_WIDE_PROC) {
      arguments.addAll(List.of("sys".equals(entry) ? "--ro-bind" : "--ro-bind-try", "/proc/" + entry,
          mountPoint + "/" + entry));
    }
    return arguments;
  }

  /**
   * Starts the program with exactly this environment instead of the one the sandbox process
   * inherits (hooks, the verdict's tools; the worker's tools get the worker's build environment).
   */
  public Sandbox environment(Map<String, String> variables) {
    this.environment = new LinkedHashMap<>(variables);
    return this;
  }

  /** The program's working directory inside the sandbox (else the caller's when visible, else {@code /}). */
  public Sandbox workingDirectory(Path dir) {
    this.directory = dir;
    return this;
  }

  /** The capabilities this sandbox keeps. */
  public Set<Capability> capabilities() {
    return Collections.unmodifiableSet(capabilities);
  }

  public Network network() {
    return network;
  }

  /** The whole command line that runs {@code program} in this sandbox. */
  public List<String> command(List<String> program) {
    List<String> cmd = new ArrayList<>(List.of(BWRAP,
        "--die-with-parent", "--new-session",
        "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try", "--hostname", HOSTNAME));
    if (network == Network.NONE) {
      cmd.add("--unshare-net");
      // no use without a network, and a proxy's URL may hold its credentials: no package script reads them
      for (String proxy : PROXY_VARIABLES) {
        cmd.addAll(List.of("--unsetenv", proxy));
      }
    }
    cmd.addAll(List.of("--cap-drop", "ALL"));
    if (runningAsRoot()) {
      for (Capability capability : capabilities) {
        cmd.addAll(List.of("--cap-add", capability.bwrapName()));
      }
    }
    cmd.addAll(HostView.programArguments());
    cmd.addAll(HostView.etcArguments(network == Network.HOST));
    cmd.addAll(List.of("--dev", "/dev"));
    cmd.addAll(procArguments("/proc"));
    cmd.addAll(List.of("--tmpfs", "/tmp"));
    cmd.addAll(mounts);
    // everything is in place: the sandbox's own root and /dev become read-only (mounts on them keep theirs)
    cmd.addAll(List.of("--remount-ro", "/dev", "--remount-ro", "/"));
    if (environment != null) {
      cmd.add("--clearenv");
      environment.forEach((name, value) -> cmd.addAll(List.of("--setenv", name, value)));
    }
    if (directory != null) {
      cmd.addAll(List.of("--chdir", absolute(directory)));
    }
    cmd.add("--");
    cmd.addAll(program);
    return cmd;
  }

  /**
   * Whether this process runs as root: then every program it starts in a sandbox does too, keeping uid 0 but
   * only the {@link Capability}s named.
   */
  public static boolean runningAsRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static String absolute(Path path) {
    return path.toAbsolutePath().normalize().toString();
  }
}
