package org.bootfarm.worker.archive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds, with real shell tools (mknod, ln, chown, touch), a small tree holding every kind of
 * file an image carries: files with odd modes and owners, directories, relative and absolute
 * symlinks, a hard link, a character and a block device, a fifo, a long path, and mtimes both
 * before and after the test's SOURCE_DATE_EPOCH.
 */
final class SampleTree {

  /** The SOURCE_DATE_EPOCH the tests clamp to: 2023-11-14T22:13:20Z. */
  static final long SDE = 1_700_000_000L;

  private SampleTree() {}

  /**
   * Creates the tree under {@code root} (which must not exist) under {@code umask}, creating
   * files in {@code reverse} order when asked so that directory order on disk differs, and
   * touching the "new" files with {@code lateMtime} (anything after {@link #SDE}).
   */
  static void create(Path root, String umask, boolean reverse, String lateMtime)
      throws IOException, InterruptedException {
    List<String> steps =
        List.of(
            "mkdir -p bin etc/ssl usr/lib/modules/6.1.0/kernel/drivers dev sbin tmp"
                + " && find . -type d -exec chmod 0755 {} +",
            "printf '#!/bin/sh\\necho hello\\n' > bin/hello && chmod 0755 bin/hello",
            "printf 'root:x:0:0::/root:/bin/sh\\n' > etc/passwd && chmod 0644 etc/passwd",
            "printf 'secret\\n' > etc/shadow && chmod 0640 etc/shadow && chown 0:42 etc/shadow",
            "printf 'suid\\n' > bin/su && chmod 4755 bin/su",
            "head -c 70000 /dev/zero | tr '\\0' 'x' > usr/lib/big.dat && chmod 0600 usr/lib/big.dat"
                + " && chown 1000:1001 usr/lib/big.dat",
            "ln usr/lib/big.dat usr/lib/big-link.dat",
            "ln -s hello bin/hi && ln -s /etc/passwd etc/passwd-link",
            "mknod dev/null c 1 3 && chmod 0666 dev/null",
            "mknod dev/sda b 8 0 && chmod 0660 dev/sda",
            "mknod dev/initctl p && chmod 0600 dev/initctl",
            "chmod 1777 tmp && chmod 0700 sbin",
            "printf 'module\\n' > usr/lib/modules/6.1.0/kernel/drivers/"
                + "a-rather-long-module-file-name-that-goes-past-the-hundred-byte-limit-of-ustar.ko"
                + " && chmod 0644 usr/lib/modules/6.1.0/kernel/drivers/*.ko",
            "touch -h -d @1600000000 etc/passwd bin/hi",
            "touch -h -d " + lateMtime + " bin/hello etc/passwd-link usr/lib/big.dat dev/null tmp");
    if (reverse) {
      steps = new java.util.ArrayList<>(steps);
      // same result, other creation order for the independent files
      java.util.Collections.swap(steps, 2, 3);
      java.util.Collections.swap(steps, 8, 10);
    }
    String script =
        "set -e; umask " + umask + "; mkdir -p '" + root + "'; cd '" + root + "'; "
            + String.join("; ", steps);
    sh(script);
  }

  /** Runs a bash script and fails with its output when it fails. */
  static String sh(String script) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("script failed: " + script + "\n" + out);
    }
    return out;
  }
}
