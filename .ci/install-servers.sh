#!/usr/bin/env bash
# Installs the real mail servers the interop tests (tests/interop.rs) run on
# 127.0.0.1 high ports from private configurations: Dovecot (IMAP, POP3,
# ManageSieve), Postfix, HAProxy and the openssl command-line tool; the
# client libraries tests/clients_interop.rs runs against test servers: GnuTLS
# (gnutls-cli), NSS (tstclnt, certutil), Java (javac, java) and Python's ssl;
# Prometheus, which tests/exporter_prometheus.rs runs on 127.0.0.1 to
# scrape `mailtls exporter`; and dnsmasq (the binary only, dnsmasq-base: no
# service on port 53), the DNS server tests/account.rs runs on a 127.0.0.1 high
# port to serve SRV and A records to `mailtls account`; and NSD with ldns's
# tools (ldns-keygen, ldns-signzone), the authoritative server and signer of
# the DNSSEC-signed zones tests/dane.rs and tests/domain.rs serve on loopback.
#
# Run as root on Debian (12 or later): sudo bash .ci/install-servers.sh
# Idempotent: with everything installed it changes nothing and needs no network.
# The packaged daemons must not serve the standard ports: they are kept from
# starting during the install (policy-rc.d) and stopped if they started anyway.
set -euo pipefail

packages=(dovecot-imapd dovecot-pop3d dovecot-managesieved postfix haproxy openssl prometheus
    gnutls-bin libnss3-tools openjdk-17-jdk-headless python3 dnsmasq-base
    nsd ldnsutils)

if [ "$(id -u)" -ne 0 ]; then
    echo "install-servers.sh: run as root (sudo bash $0)" >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-servers.sh: installing ${missing[*]}"
    policy=/usr/sbin/policy-rc.d
    created_policy=no
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# Written by mailtls .ci/install-servers.sh for the install only.\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        created_policy=yes
        trap 'rm -f "$policy"' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}"
    if [ "$created_policy" = yes ]; then
        rm -f "$policy"
        trap - EXIT
    fi
else
    echo "install-servers.sh: ${packages[*]} already installed"
fi

# Stop packaged instances that started anyway (their default configurations);
# the tests run their own instances from private directories.
if [ -d /run/systemd/system ]; then
    systemctl disable --now dovecot.service postfix.service haproxy.service prometheus.service nsd.service 2>/dev/null || true
fi
if [ -s /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    echo "install-servers.sh: stopping the packaged dovecot"
    doveadm stop || dovecot stop || true
fi
if [ -f /etc/postfix/main.cf ] && postfix status >/dev/null 2>&1; then
    echo "install-servers.sh: stopping the packaged postfix"
    postfix stop || true
fi
if [ -s /run/haproxy.pid ] && kill -0 "$(cat /run/haproxy.pid)" 2>/dev/null; then
    echo "install-servers.sh: stopping the packaged haproxy"
    kill "$(cat /run/haproxy.pid)" || true
fi
if [ -s /run/nsd/nsd.pid ] && kill -0 "$(cat /run/nsd/nsd.pid)" 2>/dev/null; then
    echo "install-servers.sh: stopping the packaged nsd"
    kill "$(cat /run/nsd/nsd.pid)" || true
fi
if [ -s /run/prometheus/prometheus.pid ] && kill -0 "$(cat /run/prometheus/prometheus.pid)" 2>/dev/null; then
    echo "install-servers.sh: stopping the packaged prometheus"
    kill "$(cat /run/prometheus/prometheus.pid)" || true
fi

# `sed -n 1p`, not `head -n 1`: head closes the pipe early, and under pipefail
# the writer's SIGPIPE would fail the script.
dovecot --version
postconf -d mail_version
haproxy -v | sed -n 1p
openssl version
prometheus --version 2>&1 | sed -n 1p
gnutls-cli --version | sed -n 1p
java -version 2>&1 | sed -n 1p
python3 -c 'import ssl; print("python3", ssl.OPENSSL_VERSION)'
command -v tstclnt
dnsmasq --version | sed -n 1p
nsd -v 2>&1 | sed -n 1p
command -v ldns-signzone
