#!/bin/sh
# /usr/bin/inventario-leasegen: runs the bundled program with the system's Node.js.
# The default configuration is /var/inventario-leasegen/etc/leasegen.conf (--config overrides it).
#
# Runs that write (anything but --help/--version) are refused as root: files root made in the
# state directory (the log, the lock, checksums) would later stop the cron job, which runs as
# the service user. Run it as that user:  runuser -u inventario-leasegen -- inventario-leasegen
# `export` (to a USB stick root mounted) and `keygen` write nothing there, so root may run them.
if [ "$(id -u)" = 0 ]; then
    case " $* " in
        *" --help "* | *" -h "* | *" --version "* | *" -V "* | *" export "* | *" keygen "*) ;;
        *)
            echo "inventario-leasegen: not running as root; use: runuser -u inventario-leasegen -- inventario-leasegen $*" >&2
            exit 2
            ;;
    esac
fi
exec /usr/bin/node /var/inventario-leasegen/lib/index.js "$@"
