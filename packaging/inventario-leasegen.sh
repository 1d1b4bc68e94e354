#!/bin/sh
# /usr/bin/inventario-leasegen: runs the bundled program with the system's Node.js.
# The default configuration is /var/inventario-leasegen/etc/leasegen.conf (--config overrides it).
#
# A run started as root goes on as the service user (setpriv, util-linux), with that user's HOME,
# USER and LOGNAME: files root made in the state directory (the log, the lock, checksums) or among
# the leases would later stop the cron job, which runs as that user. --help, --version and the
# commands that only read or export (help, status, verify, export, keygen) run as whoever calls
# them: an export to a USB stick that root mounted must be able to write there.
node=/usr/bin/node
bundle=/var/inventario-leasegen/lib/index.js
service_user=inventario-leasegen
# V8 favours memory over speed: measured (make bench, which starts the program with this setting),
# a full regeneration of 50,000 laptops on 2 cores peaks at about 120 MB instead of 165 MB, in
# the same time. One option, no spaces: it is passed as one argument.
node_option=--optimize-for-size

# runs_as_caller ARG...: true when the command line asks for help or the version, or names one
# of the commands above. The command is the first argument that is not an option (nor the
# value of -c/--config); a command line without one is a run.
runs_as_caller() {
    command=
    while [ $# -gt 0 ]; do
        case $1 in
        --)
            [ -n "$command" ] || command=${2-}
            break
            ;;
        -h | --help | -V | --version) return 0 ;;
        -c | --config) [ $# -gt 1 ] && shift ;;
        -*) ;;
        *) [ -n "$command" ] || command=$1 ;;
        esac
        shift
    done
    case $command in
    help | status | verify | export | keygen) return 0 ;;
    *) return 1 ;;
    esac
}

if [ "$(id -u)" = 0 ] && ! runs_as_caller "$@"; then
    if ! group=$(id -g -- "$service_user" 2>/dev/null); then
        echo "inventario-leasegen: the service user $service_user does not exist (the RPM creates it); not running as root" >&2
        exit 2
    fi
    # The service user's HOME, USER and LOGNAME, not root's: the hook (ssh, rsync) finds its files.
    HOME=$(getent passwd "$service_user" | cut -d: -f6)
    USER=$service_user
    LOGNAME=$service_user
    export HOME USER LOGNAME
    exec /usr/bin/setpriv --reuid="$service_user" --regid="$group" --init-groups -- "$node" "$node_option" "$bundle" "$@"
fi
exec "$node" "$node_option" "$bundle" "$@"
