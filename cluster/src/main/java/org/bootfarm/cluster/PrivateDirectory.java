package org.bootfarm.cluster;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A directory of a farm process's own state (the coordinator's build records and artifact store, a worker's caches,
 * a node's data directory), readable by the process's user alone: mode 0700, whatever the umask, so that another
 * local user reads no build record, artifact or log through it (ADR 0065). A missing one is created so; an existing
 * one that group or others may enter is set to 0700 when the process starts, and the change is logged. One the
 * process does not own, or a shared one (sticky, as {@code /tmp}), is left as it is, with a warning.
 */
public final class PrivateDirectory {
  private static final System.Logger LOG = System.getLogger(PrivateDirectory.class.getName());
  /** The mode of such a directory. */
  public static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rwx------");
  private static final int STICKY = 01000;

  private PrivateDirectory() {}

  /**
   * Makes {@code dir} (its missing parents as the umask says) readable by this process's user alone and returns it;
   * {@code what} names it in the log ("the coordinator's data directory").
   */
  public static Path ensure(Path dir, String what) throws IOException {
    Path absolute = dir.toAbsolutePath();
    if (!Files.isDirectory(absolute)) {
      if (absolute.getParent() != null) {
        Files.createDirectories(absolute.getParent());
      }
      try {
        Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(MODE));
        return absolute; // the umask only takes bits away: 0700 it is
      } catch (FileAlreadyExistsException raced) {
        // made meanwhile (or a file is there: the checks below fail on it as any caller would)
      }
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(absolute);
    if (MODE.containsAll(mode)) {
      return absolute;
    }
    String was = PosixFilePermissions.toString(mode);
    int owner = (Integer) Files.getAttribute(absolute, "unix:uid");
    int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    if (owner != self || ((Integer) Files.getAttribute(absolute, "unix:mode") & STICKY) != 0) {
      LOG.log(System.Logger.Level.WARNING, "{0} {1} is {2}, which other local users may read, and is {3}: left as it"
          + " is; give this process a directory of its own", what, absolute, was,
          owner != self ? "owned by uid " + owner + ", not by uid " + self + " that runs this process"
          : "shared (sticky)");
      return absolute;
    }
    Files.setPosixFilePermissions(absolute, MODE);
    LOG.log(System.Logger.Level.WARNING, "{0} {1} was {2}, which other local users may read: made rwx------",
        what, absolute, was);
    return absolute;
  }
}
