# bootfarm: resolves dnf install transactions without downloading or installing anything, for the action
# cache's key (docs/adr/0048-an-action-cache-keyed-by-the-resolved-package-set.md). It is dnf's own command
# line (the same options a build's install runs with), whose transaction step is replaced by printing the
# package files the transaction would install: one tab-separated line each, MARK name evr arch repo
# checksum-type checksum (or the file's path for a package given as a file). It also prints what a build would
# otherwise start dnf again for (docs/adr/0055): dnf's version (what `dnf --version` prints first), and the
# download URL of each package from a repository (what `repoquery --location` prints), LOCATION repo
# checksum-type checksum url.
# With --bootfarm-ask-fetch first (docs/adr/0058), after the last transaction it asks FETCH? and reads one line:
# "fetch" downloads the package files of the first transaction (dnf's own download, checksums checked against
# the metadata) into the cache and prints FETCHED n (or NOT-FETCHED why); anything else, or end of input, ends.
# Usage: dnf-resolve.py [--bootfarm-ask-fetch] DNF-OPTIONS... -- PACKAGES... [-- PACKAGES...]: one transaction
# per list, each into the (empty) installroot of the options.
import sys

import dnf.cli.cli
import dnf.cli.main
import dnf.const
import dnf.exceptions

MARK = "BOOTFARM-RESOLVED"
LOCATION = "BOOTFARM-LOCATION"
ASK = "--bootfarm-ask-fetch"
# each reported transaction's package files, as (name, evr, arch, repo, checksum)
reported = []


def identity(pkg):
    return (pkg.name, pkg.evr, pkg.arch, pkg.reponame, str(pkg.returnIdSum()))


def fetch(self, packages):
    sys.stdout.write("BOOTFARM-FETCH?\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "fetch":
        return
    # a second transaction runs from the cache (-C); the download may use the network, as the first refreshed it
    self.conf.cacheonly = False
    try:
        self.download_packages(packages)
    except dnf.exceptions.Error as e:
        sys.stdout.write("BOOTFARM-NOT-FETCHED\t%s\n" % " ".join(str(e).split()))
    else:
        sys.stdout.write("BOOTFARM-FETCHED\t%d\n" % len(packages))
    sys.stdout.flush()


def report(self, display=()):
    install = sorted(self.transaction.install_set, key=lambda p: (p.name, p.evr, p.arch, p.reponame))
    reported.append(set(identity(pkg) for pkg in install))
    for pkg in install:
        kind, digest = pkg.returnIdSum()
        where = digest if digest else pkg.location
        sys.stdout.write("\t".join([MARK, pkg.name, pkg.evr, pkg.arch, pkg.reponame, str(kind), str(where)]) + "\n")
        url = pkg.remote_location()
        if digest and url:
            sys.stdout.write("\t".join([LOCATION, pkg.reponame, str(kind), digest, url]) + "\n")
    sys.stdout.flush()
    if asking and len(reported) == len(lists):
        # the last transaction holds the packages of the first (the base's, which its install takes)
        fetch(self, [pkg for pkg in install if identity(pkg) in reported[0]])


dnf.cli.cli.BaseCli.do_transaction = report

sys.stdout.write("BOOTFARM-DNF-VERSION\t%s\n" % dnf.const.VERSION)
args = sys.argv[1:]
asking = bool(args) and args[0] == ASK
if asking:
    args = args[1:]
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
