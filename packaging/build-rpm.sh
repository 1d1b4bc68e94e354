#!/usr/bin/env bash
# packaging/build-rpm.sh rpm|srpm|repo — the RPM of inventario-leasegen, built from this tree.
#
#   rpm    the binary .noarch.rpm, copied to dist/; its path is printed last
#   srpm   the source RPM, copied to dist/; its path is printed last
#   repo   a yum repository (createrepo_c) in dist/repo/ holding the binary RPM built before
#
# The bundle (dist/*.js) must be built first (`make build`; `make rpm` does it). rpmbuild works
# in ./rpmbuild (never $HOME/rpmbuild). Source0 is packed from the working tree: the bundle, the
# example config, the files under packaging/, the README and the guides in docs/, the generated
# licence file, and the sources the bundle was built from; Source1, the sysusers.d file, is
# copied beside it. Runs on Fedora and on Debian (apt-get install rpm rpmlint createrepo-c).
set -euo pipefail
cd "$(dirname "$0")/.."

name=inventario-leasegen
spec=rpm/$name.spec
topdir=$PWD/rpmbuild

die() {
    echo "build-rpm: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 rpm|srpm|repo" >&2
    exit 2
}

[ $# -eq 1 ] || usage
mode=$1

version=$(node -p 'require("./package.json").version')
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
[ "$version" = "$spec_version" ] ||
    die "package.json says $version but $spec says $spec_version: update Version, Release and %changelog in the spec"

# Options every rpm and rpmbuild call needs here.
rpm_opts=(--define "_topdir $topdir")
# Debian's rpm has no systemd-rpm-macros, and its database knows none of the system's packages,
# so the BuildRequires cannot be checked there (they are on Fedora).
if [ -z "$(rpm --eval '%{?systemd_post:yes}')" ]; then
    rpm_opts+=(--load packaging/rpm-macros.fallback)
fi
if ! rpm -q rpm >/dev/null 2>&1; then
    rpm_opts+=(--nodeps)
fi

make_source() {
    command -v rpmbuild >/dev/null || die "rpmbuild not found (Fedora: dnf install rpm-build; Debian: apt-get install rpm)"
    [ -f dist/index.js ] || die "dist/index.js missing: run make build first"
    local stage=$topdir/BUILD-STAGE/$name-$version
    rm -rf "$topdir/BUILD-STAGE"
    mkdir -p "$stage/dist" "$stage/etc" "$stage/packaging" "$topdir/SOURCES" "$topdir/SPECS"
    # Only the bundle's own files: dist/ may also hold RPMs and the repository from earlier runs.
    cp -p dist/*.js "$stage/dist/"
    cp -p etc/leasegen.conf.example "$stage/etc/"
    cp -p packaging/build-rpm.sh packaging/third-party-licenses.mjs packaging/rpm-macros.fallback \
        packaging/$name.{sh,1,cron,logrotate,service,sysusers,timer,rules.yml} "$stage/packaging/"
    cp -p packaging/COPYING README.md "$stage/"
    cp -pr docs "$stage/"
    node packaging/third-party-licenses.mjs --out "$stage/THIRD-PARTY-LICENSES"
    # The corresponding source of the bundle.
    cp -pr src package.json package-lock.json tsconfig.json Makefile "$stage/"
    mkdir -p "$stage/rpm" && cp -p "$spec" "$stage/rpm/"
    # Reproducible tarball: sorted names, fixed owner, mtimes of the files themselves.
    tar -C "$topdir/BUILD-STAGE" --sort=name --owner=0 --group=0 --numeric-owner \
        -czf "$topdir/SOURCES/$name-$version.tar.gz" "$name-$version"
    rm -rf "$topdir/BUILD-STAGE"
    cp -p "$spec" "$topdir/SPECS/"
    cp -p packaging/$name.sysusers "$topdir/SOURCES/"
}

# rpmbuild_to_dist FLAG LOG: runs rpmbuild with -bb or -bs, copies what it wrote to dist/, prints its path.
rpmbuild_to_dist() {
    make_source
    rpmbuild "${rpm_opts[@]}" "$1" "$topdir/SPECS/$name.spec" >"$topdir/$2" 2>&1 ||
        { cat "$topdir/$2" >&2; die "rpmbuild $1 failed (log: $topdir/$2)"; }
    built=$(sed -n 's/^Wrote: \(.*\.rpm\)$/\1/p' "$topdir/$2" | tail -n 1)
    [ -f "$built" ] || die "rpmbuild $1 wrote no RPM (log: $topdir/$2)"
    cp -p "$built" dist/
    echo "dist/$(basename "$built")"
}

case $mode in
rpm)
    rpmbuild_to_dist -bb rpmbuild.log
    ;;
srpm)
    rpmbuild_to_dist -bs rpmbuild-srpm.log
    ;;
repo)
    command -v createrepo_c >/dev/null || die "createrepo_c not found (Fedora: dnf install createrepo_c; Debian: apt-get install createrepo-c)"
    shopt -s nullglob
    rpms=(dist/$name-"$version"-*.noarch.rpm)
    [ ${#rpms[@]} -gt 0 ] || die "no dist/$name-$version-*.noarch.rpm: run make rpm first"
    rm -rf dist/repo
    mkdir -p dist/repo
    cp -p "${rpms[@]}" dist/repo/
    createrepo_c --quiet dist/repo >/dev/null
    echo "dist/repo"
    ;;
*)
    usage
    ;;
esac
