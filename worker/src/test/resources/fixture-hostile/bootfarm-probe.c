/*
 * bootfarm test fixture: a package script that tries to get out of the image it is installed into.
 * A package runs it as its post-install script (rpm: %post -p /usr/bin/bootfarm-probe), chrooted
 * into the image as root. It takes its orders from /etc/bootfarm-probe.conf in the image, one per
 * line, and prints one line per attempt: "bootfarm-probe: <attempt>: OK ..." or
 * "bootfarm-probe: <attempt>: refused: <error>". It always exits 0, so the installation goes on and
 * the test can look at what happened.
 *
 *   connect=PORT        open a TCP connection to 127.0.0.1:PORT (before leaving the image)
 *   device=MAJOR:MINOR  make a block device node in the image and read from it
 *   read=PATH           after the chroot escape: print the first line of PATH
 *   write=PATH          after the chroot escape: append a line to PATH (creating it)
 *
 * The escape is the classic one: chroot into a subdirectory while keeping the working directory
 * outside it, climb with chdir("..") past the old root, and chroot(".") there. Without a mount
 * namespace of its own this lands on the host's real root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_ORDERS 32

static char reads[MAX_ORDERS][512], writes[MAX_ORDERS][512];
static int nreads, nwrites, port = -1;
static unsigned dev_major, dev_minor;
static int have_device;

static void report(const char *what, int ok, const char *detail) {
  if (ok) {
    printf("bootfarm-probe: %s: OK%s%s\n", what, detail ? " " : "", detail ? detail : "");
  } else {
    printf("bootfarm-probe: %s: refused: %s\n", what, strerror(errno));
  }
  fflush(stdout);
}

static void read_orders(void) {
  FILE *f = fopen("/etc/bootfarm-probe.conf", "r");
  char line[512];
  if (!f) {
    report("read orders /etc/bootfarm-probe.conf", 0, NULL);
    return;
  }
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!strncmp(line, "connect=", 8)) {
      port = atoi(line + 8);
    } else if (!strncmp(line, "device=", 7)) {
      have_device = sscanf(line + 7, "%u:%u", &dev_major, &dev_minor) == 2;
    } else if (!strncmp(line, "read=", 5) && nreads < MAX_ORDERS) {
      snprintf(reads[nreads++], 512, "%s", line + 5);
    } else if (!strncmp(line, "write=", 6) && nwrites < MAX_ORDERS) {
      snprintf(writes[nwrites++], 512, "%s", line + 6);
    }
  }
  fclose(f);
}

static void try_connect(void) {
  char what[64];
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  snprintf(what, sizeof what, "connect 127.0.0.1:%d", port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  report(what, fd >= 0 && connect(fd, (struct sockaddr *) &address, sizeof address) == 0, NULL);
  if (fd >= 0) {
    close(fd);
  }
}

static void try_device(void) {
  char what[64], buffer[512];
  const char *node = "/bootfarm-probe-disk";
  snprintf(what, sizeof what, "mknod %s b %u:%u", node, dev_major, dev_minor);
  if (mknod(node, S_IFBLK | 0600, makedev(dev_major, dev_minor)) != 0) {
    report(what, 0, NULL);
    return;
  }
  report(what, 1, NULL);
  int fd = open(node, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buffer, sizeof buffer) : -1;
  snprintf(what, sizeof what, "read %s", node);
  report(what, n > 0, n > 0 ? "(bytes of the device)" : NULL);
  if (fd >= 0) {
    close(fd);
  }
  unlink(node);
}

static void try_escape(void) {
  mkdir("/bootfarm-probe-jail", 0700);
  if (chroot("/bootfarm-probe-jail") != 0) {
    report("chroot escape", 0, NULL);
    return;
  }
  for (int i = 0; i < 256; i++) {
    if (chdir("..") != 0) {
      break;
    }
  }
  report("chroot escape", chroot(".") == 0, NULL);
}

static void try_read(const char *path) {
  char what[600], line[512] = "";
  FILE *f = fopen(path, "r");
  snprintf(what, sizeof what, "read %s", path);
  if (!f) {
    report(what, 0, NULL);
    return;
  }
  if (!fgets(line, sizeof line, f)) {
    line[0] = 0;
  }
  line[strcspn(line, "\n")] = 0;
  fclose(f);
  report(what, 1, line);
}

static void try_write(const char *path) {
  char what[600];
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  snprintf(what, sizeof what, "write %s", path);
  if (fd < 0) {
    report(what, 0, NULL);
    return;
  }
  const char *text = "written by bootfarm-probe, a package script\n";
  report(what, write(fd, text, strlen(text)) > 0, NULL);
  close(fd);
}

int main(void) {
  read_orders();
  if (port >= 0) {
    try_connect();
  }
  if (have_device) {
    try_device();
  }
  try_escape();
  for (int i = 0; i < nreads; i++) {
    try_read(reads[i]);
  }
  for (int i = 0; i < nwrites; i++) {
    try_write(writes[i]);
  }
  return 0;
}
