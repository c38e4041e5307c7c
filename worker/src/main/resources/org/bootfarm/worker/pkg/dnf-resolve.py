# bootfarm: resolves dnf install transactions without downloading or installing anything, for the action
# cache's key (docs/adr/0048-an-action-cache-keyed-by-the-resolved-package-set.md). It is dnf's own command
# line (the same options a build's install runs with), whose transaction step is replaced by printing the
# package files the transaction would install: one tab-separated line each, MARK name evr arch repo
# checksum-type checksum (or the file's path for a package given as a file). It also prints what a build would
# otherwise start dnf again for (docs/adr/0055): dnf's version (what `dnf --version` prints first), and the
# download URL of each package from a repository (what `repoquery --location` prints), LOCATION repo
# checksum-type checksum url.
# Usage: dnf-resolve.py DNF-OPTIONS... -- PACKAGES... [-- PACKAGES...]: one transaction per list, each into
# the (empty) installroot of the options.
import sys

import dnf.cli.cli
import dnf.cli.main
import dnf.const

MARK = "BOOTFARM-RESOLVED"
LOCATION = "BOOTFARM-LOCATION"


def report(self, display=()):
    for pkg in sorted(self.transaction.install_set, key=lambda p: (p.name, p.evr, p.arch, p.reponame)):
        kind, digest = pkg.returnIdSum()
        where = digest if digest else pkg.location
        sys.stdout.write("\t".join([MARK, pkg.name, pkg.evr, pkg.arch, pkg.reponame, str(kind), str(where)]) + "\n")
        url = pkg.remote_location()
        if digest and url:
            sys.stdout.write("\t".join([LOCATION, pkg.reponame, str(kind), digest, url]) + "\n")
    sys.stdout.flush()


dnf.cli.cli.BaseCli.do_transaction = report

sys.stdout.write("BOOTFARM-DNF-VERSION\t%s\n" % dnf.const.VERSION)
args = sys.argv[1:]
first = args.index("--")
options = args[:first]
lists = [[]]
for word in args[first + 1:]:
    if word == "--":
        lists.append([])
    else:
        lists[-1].append(word)
lists = [packages for packages in lists if packages]
for number, packages in enumerate(lists):
    sys.stdout.write("BOOTFARM-TRANSACTION\t%d\n" % number)
    sys.stdout.flush()
    # the first run refreshed the metadata: the others read it from the cache as it is
    run_options = options if number == 0 else [o for o in options if o != "--refresh"] + ["-C"]
    code = dnf.cli.main.main(run_options + ["install"] + packages)
    if code:
        sys.exit(code)
sys.exit(0)
