#!/bin/sh
# packaging/install-test-deps.sh — the system tools `make check` needs besides Node.js and npm
# (the RPM tests build, lint, query and unpack the package, and run its launcher as root; the
# alert rules' tests run promtool; the renewal tests and `make bench` move the program's clock
# with libfaketime's faketime).
#
# Run by `make check` before anything else, and by .ci/run. When every tool is there it does
# nothing. When some are missing: as root, it installs their packages (apt-get on Debian/Ubuntu,
# dnf on Fedora/EL); as another user, it prints one line naming the command to run as root and
# exits 1, so the tests do not start.
set -eu

# tool, Debian package, Fedora package: one line each. "a|b": the first of these packages that
# the system's package lists know (newer Debian and Ubuntu releases package promtool on its own;
# Debian 12 has it only in prometheus, whose server starts unless policy-rc.d forbids it). dnf
# takes a file path.
TOOLS='
rpm          rpm          rpm
rpmbuild     rpm          rpm-build
rpmlint      rpmlint      rpmlint
createrepo_c createrepo-c createrepo_c
rpm2cpio     rpm2cpio     rpm
cpio         cpio         cpio
openssl      openssl      openssl
script       bsdutils     util-linux-script
sha1sum      coreutils    coreutils
setpriv      util-linux   util-linux
flock        util-linux   util-linux-core
getent       libc-bin     glibc-common
useradd      passwd       shadow-utils
userdel      passwd       shadow-utils
promtool     promtool|prometheus /usr/bin/promtool
faketime     faketime     libfaketime
'

die() {
    echo "install-test-deps: $*" >&2
    exit 1
}

# Where useradd and friends live, even for a user whose PATH lacks the sbin directories.
PATH=$PATH:/usr/sbin:/sbin

if command -v apt-get >/dev/null 2>&1; then
    column=2
    install="apt-get update && apt-get install -y --no-install-recommends"
elif command -v dnf >/dev/null 2>&1; then
    column=3
    install="dnf install -y"
else
    column=
    install=
fi

# known PACKAGES: the first of "a|b|…" that apt knows (the first one if it knows none, or
# apt-cache is not there).
known() {
    for package in $(echo "$1" | tr '|' ' '); do
        if apt-cache show "$package" >/dev/null 2>&1; then
            echo "$package"
            return
        fi
    done
    echo "${1%%|*}"
}

# missing_packages: the packages of the missing tools, once each (empty when none is missing).
missing_packages() {
    echo "$TOOLS" | while read -r tool debian fedora; do
        [ -n "$tool" ] || continue
        command -v "$tool" >/dev/null 2>&1 && continue
        if [ "$column" = 2 ]; then known "$debian"; elif [ "$column" = 3 ]; then echo "$fedora"; else echo "$tool"; fi
    done | sort -u | tr '\n' ' ' | sed 's/ $//'
}

packages=$(missing_packages)
[ -n "$packages" ] || exit 0
[ -n "$install" ] || die "missing $packages, and neither apt-get nor dnf is here: install them, then run make check again"
command="$install $packages"
[ "$(id -u)" = 0 ] || die "missing system packages for the tests; as root run: $command"

echo "install-test-deps: $command" >&2
if [ "$column" = 2 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # The lists are fresh now: choose again among alternatives.
    packages=$(missing_packages)
    # shellcheck disable=SC2086 # one word per package
    apt-get install -y -qq --no-install-recommends $packages
else
    # shellcheck disable=SC2086
    dnf install -y -q $packages
fi
still=$(missing_packages)
[ -z "$still" ] || die "still missing after installing: $still"
