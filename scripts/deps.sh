#!/usr/bin/env bash
# scripts/deps.sh build|test - make sure the Debian packages skit needs are
# installed. As root it installs what is missing with apt-get; otherwise
# it prints the exact command and fails.
#
#   build: what `make` needs (a C compiler, make, OpenSSL, zlib and
#          libpcap headers, pandoc for the man pages)
#   test:  what `make check` needs on top (cmocka, bats, clang for fuzz
#          targets and sanitizers, the peers the CLI tests talk to)
set -u
what=${1:-test}

build_pkgs=(gcc make libc6-dev libssl-dev zlib1g-dev libpcap-dev pkg-config
	pandoc)
test_pkgs=(libcmocka-dev bats clang libclang-rt-14-dev clang-format python3
	jq iproute2 util-linux libcap2-bin openssl procps coreutils
	socat ncat netcat-openbsd sockperf nftables iputils-ping tshark tcpdump nginx-light
	curl wget passwd groff-base man-db bsdutils parallel stunnel4
	chromium fonts-dejavu-core
	microsocks tinyproxy)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)
	case "$st" in ii*) ;; *) missing+=("$p") ;; esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "skit: missing Debian packages: ${missing[*]}" >&2
	echo "skit: install them with:  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "skit: installing missing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || exit 1
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || exit 1
