#!/usr/bin/env bash
# bench/netcat.sh - bulk throughput of the netcat job: a producer pipes
# SIZE bytes into a client, which sends them over loopback to a
# one-client server writing to /dev/null:
#
#   PRODUCER | CLIENT ADDRESS    SERVER ADDRESS > /dev/null
#
# for skit (connect/listen), socat, ncat and OpenBSD nc, over TCP and a
# unix socket, in one run. Prints GiB/s per tool and skit's ratio to the
# best of the others. Each pipeline runs ROUNDS times (default 3), the
# tools interleaved round by round (each round starting with another
# one), and the table shows medians, with skit's ratio per round: the
# machine is shared and noisy.
#
# Two producers, the same for every tool:
#   dd   dd if=/dev/zero bs=128K: writes the size cat(1) writes; the one
#        the issue's target is read against
#   head head -c SIZE /dev/zero: 8 KiB writes. On a 2-core machine it is
#        the bottleneck of a fast client: it took 45% of the CPU in a
#        skit run (perf), much of it spinning on the pipe's lock while
#        the client read, and capped skit near 1.9 GiB/s
#
#   bench/netcat.sh [SIZE_MiB]     (default 2048)
#   SKIT=path/to/skit ROUNDS=5 PRODUCERS=dd bench/netcat.sh
set -u
cd "$(dirname "$0")/.."
MIB=${1:-2048}
SKIT=${SKIT:-$PWD/build/skit}
TMP=$(mktemp -d /tmp/skit-ncbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_listen TRANSPORT PORT|PATH: until the server accepts.
wait_listen() {
	local i
	for i in $(seq 1 100); do
		if [ "$1" = tcp ]; then
			python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2).close()' "$2" 2>/dev/null && return 0
		else
			[ -S "$2" ] && return 0
		fi
		sleep 0.05
	done
	return 1
}

# server/client command lines per tool and transport.
server_cmd() { # tool transport endpoint
	case $1/$2 in
	skit/tcp) echo "$SKIT listen tcp:127.0.0.1:$3" ;;
	skit/unix) echo "$SKIT listen unix:$3" ;;
	socat/tcp) echo "socat -u TCP-LISTEN:$3,bind=127.0.0.1,reuseaddr STDOUT" ;;
	socat/unix) echo "socat -u UNIX-LISTEN:$3 STDOUT" ;;
	ncat/tcp) echo "ncat -l 127.0.0.1 $3" ;;
	ncat/unix) echo "ncat -l -U $3" ;;
	nc/tcp) echo "nc.openbsd -l 127.0.0.1 $3" ;;
	nc/unix) echo "nc.openbsd -l -U $3" ;;
	esac
}
client_cmd() {
	case $1/$2 in
	skit/tcp) echo "$SKIT connect tcp:127.0.0.1:$3" ;;
	skit/unix) echo "$SKIT connect unix:$3" ;;
	socat/tcp) echo "socat -u STDIN TCP:127.0.0.1:$3" ;;
	socat/unix) echo "socat -u STDIN UNIX-CONNECT:$3" ;;
	ncat/tcp) echo "ncat --send-only 127.0.0.1 $3" ;;
	ncat/unix) echo "ncat --send-only -U $3" ;;
	nc/tcp) echo "nc.openbsd -N 127.0.0.1 $3" ;;
	nc/unix) echo "nc.openbsd -N -U $3" ;;
	esac
}

# produce PRODUCER: MIB MiB of zeros on stdout.
produce() {
	case $1 in
	dd) dd if=/dev/zero bs=128K count=$((MIB * 8)) status=none ;;
	head) head -c $((MIB << 20)) /dev/zero ;;
	esac
}

# run TOOL TRANSPORT PRODUCER: prints GiB/s (or "-" when the tool is
# missing).
run() {
	local tool=$1 tr=$2 prod=$3 ep srv cli t0 t1 spid
	case $tool in nc) command -v nc.openbsd >/dev/null || { echo -; return; } ;;
	skit) [ -x "$SKIT" ] || { echo -; return; } ;;
	*) command -v "$tool" >/dev/null || { echo -; return; } ;; esac
	if [ "$tr" = tcp ]; then ep=$(free_port); else ep=$TMP/$tool.sock; rm -f "$ep"; fi
	srv=$(server_cmd "$tool" "$tr" "$ep")
	cli=$(client_cmd "$tool" "$tr" "$ep")
	$srv </dev/null >/dev/null 2>"$TMP/$tool.$tr.err" &
	spid=$!
	if ! wait_listen "$tr" "$ep"; then
		kill "$spid" 2>/dev/null
		echo -
		return
	fi
	# The probe connection of wait_listen may have been the server's
	# one client: restart it for the real run.
	if [ "$tr" = tcp ]; then
		wait "$spid" 2>/dev/null
		$srv </dev/null >/dev/null 2>>"$TMP/$tool.$tr.err" &
		spid=$!
		sleep 0.3
	fi
	t0=$(date +%s.%N)
	produce "$prod" | $cli >/dev/null 2>>"$TMP/$tool.$tr.err"
	wait "$spid"
	t1=$(date +%s.%N)
	python3 -c 'import sys; print("%.2f" % (int(sys.argv[1]) / 1024 / (float(sys.argv[3]) - float(sys.argv[2]))))' "$MIB" "$t0" "$t1"
}

ROUNDS=${ROUNDS:-3}
PRODUCERS=${PRODUCERS:-dd head}
# The producers alone, straight into /dev/null: the most any pipeline
# behind them could reach.
floors=""
for prod in $PRODUCERS; do
	t0=$(date +%s.%N)
	produce "$prod" >/dev/null
	t1=$(date +%s.%N)
	floors="$floors $prod $(python3 -c 'import sys; print("%.2f" % (int(sys.argv[1]) / 1024 / (float(sys.argv[3]) - float(sys.argv[2]))))' "$MIB" "$t0" "$t1") GiB/s;"
done
echo "netcat bench: $MIB MiB, producer | client -> server > /dev/null, median of $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "host: $(uname -r), $(nproc) cores; producer alone >/dev/null:$floors"
TOOLS=(skit socat ncat nc)
for round in $(seq "$ROUNDS"); do
	for prod in $PRODUCERS; do
		for tr in tcp unix; do
			# Each round starts with another tool: none always runs first.
			for ((i = 0; i < ${#TOOLS[@]}; i++)); do
				tool=${TOOLS[$(((i + round - 1) % ${#TOOLS[@]}))]}
				echo "$round $tr $tool $prod $(run "$tool" "$tr" "$prod")" >>"$TMP/results"
			done
		done
	done
done
printf '%-10s %-9s %8s %8s %8s %8s %10s  %s\n' transport producer skit socat ncat nc "skit/best" "(per round)"
python3 - "$TMP/results" "$PRODUCERS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def num(v):
    return None if v == "-" else float(v)
for prod in sys.argv[2].split():
    for tr in ("tcp", "unix"):
        sel = [r for r in rows if r[1] == tr and r[3] == prod]
        med = {}
        for tool in ("skit", "socat", "ncat", "nc"):
            vals = [num(r[4]) for r in sel if r[2] == tool]
            vals = [v for v in vals if v is not None]
            med[tool] = statistics.median(vals) if vals else None
        ratios = []  # skit over the best peer, round by round
        for rnd in sorted({r[0] for r in sel}, key=int):
            got = {r[2]: num(r[4]) for r in sel if r[0] == rnd}
            peers = [v for t, v in got.items() if t != "skit" and v]
            if got.get("skit") and peers:
                ratios.append(got["skit"] / max(peers))
        peers = [med[t] for t in ("socat", "ncat", "nc") if med[t]]
        ratio = "%.2fx" % (med["skit"] / max(peers)) if med["skit"] and peers else "-"
        cell = lambda v: "-" if v is None else "%.2f" % v
        print("%-10s %-9s %8s %8s %8s %8s %10s  %s" % (
            tr, prod, cell(med["skit"]), cell(med["socat"]), cell(med["ncat"]),
            cell(med["nc"]), ratio, " ".join("%.2f" % x for x in ratios)))
PY
echo "(GiB/s, medians; skit/best compares the medians, per round the runs of one round)"
