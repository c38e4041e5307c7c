# bootfarm: the download and install phases of one dnf install in one Python, for package files the build's
# resolution already fetched into the cache (docs/adr/0058). The first run is the download phase's command from
# the cache (-C instead of --refresh): it downloads nothing, checks the signatures and imports the keys into the
# image's rpm database as the download phase does; the second is the install phase's command. Two runs, each with
# its own dnf Base, leave the rpm database byte for byte as the two processes of an install without a fetch.
# Usage: dnf-install-fetched.py DOWNLOAD-OPTIONS-AND-ARGUMENTS... -- INSTALL-OPTIONS-AND-ARGUMENTS...
import sys

import dnf.cli.main

args = sys.argv[1:]
split = args.index("--")
code = dnf.cli.main.main(args[:split])
if code == 0:
    code = dnf.cli.main.main(args[split + 1:])
sys.exit(code)
