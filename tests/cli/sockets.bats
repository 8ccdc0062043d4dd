#!/usr/bin/env bats
# skit sockets: NETLINK_SOCK_DIAG dumps compared with `ss -H -a -n` in a
# test namespace, filters, TCP info, owners, --watch.
load helpers
load netns_low

teardown() {
	[ -n "${SDIR:-}" ] && touch "$SDIR/done"
	bg_cleanup
	ns_cleanup
}

PEER=$BATS_TEST_DIRNAME/sockets_peer.py

# peer_start NS: sockets of every kind in NS (sockets_peer.py); sets
# SDIR, PEER_PID, TP (TCP listener port), CP (its client's port), UP.
peer_start() {
	SDIR=$BATS_TEST_TMPDIR/peer
	ns_py "$1" "$SDIR" info "$PEER"
	PEER_PID=$PY_PID
	read -r TP CP UP <"$SDIR/info"
	[ -n "$UP" ]
}

@test "sockets lists what ss -H -a lists: every kind, state, queues, addresses, inodes" {
	need_netns
	need_cmd ss
	need_cmd python3
	ns_new S
	peer_start "$NS_S"
	ip netns exec "$NS_S" ss -H -a -n >"$BATS_TEST_TMPDIR/ss.txt"
	ip netns exec "$NS_S" "$SKIT" sockets --json >"$BATS_TEST_TMPDIR/skit.json"
	json_valid "$BATS_TEST_TMPDIR/skit.json"
	python3 - "$BATS_TEST_TMPDIR/ss.txt" "$BATS_TEST_TMPDIR/skit.json" <<'PY'
import json, sys
from collections import Counter

def hostport(s):
    h, _, p = s.rpartition(":")
    h = h.strip("[]")
    if "%" in h:
        h = h.split("%")[0]
    return h, 0 if p == "*" else int(p)

ss = Counter()
for line in open(sys.argv[1]):
    f = line.split()
    netid, state, rq, wq = f[0], f[1], int(f[2]), int(f[3])
    if netid in ("tcp", "udp", "raw"):
        ss[(netid, state, rq, wq) + hostport(f[4]) + hostport(f[5])] += 1
    elif netid.startswith("u_"):
        ss[(netid, state, rq, wq, f[4], int(f[5]), int(f[7]))] += 1
    elif netid == "nl":
        proto, _, port = f[4].partition(":")
        # The sock_diag sockets (ss's, skit's, the kernel's) change
        # between the two dumps.
        if proto != "4":
            ss[(netid, state, rq, wq, int(proto), int(port))] += 1
    else:
        ss[(netid, state, rq, wq)] += 1

sk = Counter()
for line in open(sys.argv[2]):
    o = json.loads(line)
    netid, state, rq, wq = o["netid"], o["state"], o["recv_q"], o["send_q"]
    if netid in ("tcp", "udp", "raw"):
        sk[(netid, state, rq, wq, o["src"], o["sport"], o["dst"],
            o["dport"])] += 1
    elif netid.startswith("u_"):
        name = o.get("name", "*")
        if name.startswith("\0"):
            name = "@" + name[1:]
        sk[(netid, state, rq, wq, name, o["inode"], o["peer_inode"])] += 1
    elif netid == "nl":
        if o["protocol"] != 4:
            sk[(netid, state, rq, wq, o["protocol"], o["portid"])] += 1
    else:
        sk[(netid, state, rq, wq)] += 1

if ss != sk:
    print("only ss:  ", sorted((ss - sk).items()))
    print("only skit:", sorted((sk - ss).items()))
    sys.exit(1)
kinds = {k[0] for k in sk}
for want in ("tcp", "udp", "u_str", "u_seq", "u_dgr", "nl"):
    assert want in kinds, (want, kinds)
print(len(sk), "sockets alike")
PY
}

@test "sockets text: skit addresses, the owner, abstract names, -l and filters" {
	need_netns
	need_cmd python3
	ns_new S
	peer_start "$NS_S"
	run ip netns exec "$NS_S" "$SKIT" sockets
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^NETID\ +STATE\ +RECV-Q\ +SEND-Q\ +LOCAL\ +PEER\ +PROCESS ]]
	[[ "$output" =~ tcp\ +LISTEN\ +0\ +5\ +tcp:127\.0\.0\.1:$TP\ +\*\ +python3/$PEER_PID ]]
	[[ "$output" =~ tcp\ +ESTAB\ +0\ +0\ +tcp:127\.0\.0\.1:$CP\ +tcp:127\.0\.0\.1:$TP\ +python3/$PEER_PID ]]
	[[ "$output" =~ tcp\ +ESTAB\ +5\ +0\ +tcp:127\.0\.0\.1:$TP\ +tcp:127\.0\.0\.1:$CP ]]
	[[ "$output" =~ udp\ +UNCONN\ +0\ +0\ +udp:127\.0\.0\.1:$UP\ +\* ]]
	[[ "$output" =~ udp\ +UNCONN\ +0\ +0\ +udp:\[::1\]:[0-9]+ ]]
	[[ "$output" =~ u_str\ +LISTEN\ +0\ +3\ +unix:@skit-sockets-test\ [0-9]+ ]]
	[[ "$output" =~ u_str\ +LISTEN\ +0\ +3\ +unix:$SDIR/s.sock\ [0-9]+ ]]
	# The accepted end carries the listener's name; its peer is the client.
	[[ "$output" =~ u_str\ +ESTAB\ +0\ +0\ +\*\ [0-9]+\ +unix:@skit-sockets-test\ [0-9]+ ]]
	[[ "$output" =~ u_seq\ +ESTAB ]]
	[[ "$output" =~ u_dgr\ +ESTAB ]]
	[[ "$output" =~ raw\ +UNCONN\ +0\ +0\ +icmp:0\.0\.0\.0 ]]
	[[ "$output" =~ p_raw\ +UNCONN\ +0\ +0\ +packet:any ]]
	[[ "$output" =~ nl\ +UNCONN\ +[0-9]+\ +0\ +netlink:route\ kernel ]]

	# A local address pastes into skit connect.
	addr=$(ip netns exec "$NS_S" "$SKIT" sockets -H -l tcp | awk '{print $5}')
	[ "$addr" = "tcp:127.0.0.1:$TP" ]
	run ip netns exec "$NS_S" "$SKIT" connect -z "$addr"
	[ "$status" -eq 0 ]

	run ip netns exec "$NS_S" "$SKIT" sockets -H -l
	echo "$output"
	! grep -q ESTAB <<<"$output" || false
	grep -q LISTEN <<<"$output"
	grep -q UNCONN <<<"$output"
	run ip netns exec "$NS_S" "$SKIT" sockets -H state established dport = ":$TP"
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "tcp "*"ESTAB"*"tcp:127.0.0.1:$CP"* ]]
	run ip netns exec "$NS_S" "$SKIT" sockets -H udp4 sport "$UP" port 1
	[ "${#lines[@]}" -eq 0 ]
	run ip netns exec "$NS_S" "$SKIT" sockets -H udp sport "$UP" sport 1
	[ "${#lines[@]}" -eq 1 ]
	run ip netns exec "$NS_S" "$SKIT" sockets -H -x state listening
	[ "${#lines[@]}" -eq 2 ]
	run "$SKIT" sockets state nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *"state 'nosuch' is not one of"* ]]
	run "$SKIT" sockets sctp
	[ "$status" -eq 2 ]
	run "$SKIT" sockets dport
	[ "$status" -eq 2 ]
}

@test "sockets -i: TCP info; --json owners" {
	need_netns
	ns_new S
	peer_start "$NS_S"
	run ip netns exec "$NS_S" "$SKIT" sockets -H -i tcp state established
	echo "$output"
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[1]}" =~ ^$'\t'rtt:[0-9.]+/[0-9.]+\ rto:[0-9]+\ cwnd:[0-9]+ ]]
	[[ "${lines[1]}" == *"retrans:0/0"* ]]
	ip netns exec "$NS_S" "$SKIT" sockets --json -i tcp sport "$CP" >"$BATS_TEST_TMPDIR/j"
	json_valid "$BATS_TEST_TMPDIR/j"
	[ "$(jq -r .process[0].pid "$BATS_TEST_TMPDIR/j")" = "$PEER_PID" ]
	[ "$(jq -r .process[0].comm "$BATS_TEST_TMPDIR/j")" = python3 ]
	[ "$(jq -r .tcp_info.bytes_acked "$BATS_TEST_TMPDIR/j")" -ge 5 ]
	[ "$(jq -r .tcp_info.cwnd "$BATS_TEST_TMPDIR/j")" -gt 0 ]
	[ "$(jq -r .peer "$BATS_TEST_TMPDIR/j")" = "tcp:127.0.0.1:$TP" ]
}

# seen_new FILE: wait (at most 5 s) until the watcher printed a new socket.
seen_new() {
	for i in $(seq 1 100); do
		grep -q 'new' "$1" && return 0
		sleep 0.05
	done
	return 1
}

@test "sockets --watch reports sockets as they are made and closed" {
	need_netns
	ns_new S
	ns_bg "$NS_S" -v sockets --watch --interval 0.1 -c 2 tcp
	wpid=$BG_PID w=$BG_OUT
	ns_bg "$NS_S" -v listen -k tcp:127.0.0.1:0
	addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$BG_ERR")
	seen_new "$w"
	kill "$BG_PID"
	wait_exit "$wpid" 10
	cat "$w"
	[ "$WAIT_RC" -eq 0 ]
	grep -Eq "^new +tcp +LISTEN +0 +[0-9]+ +$addr " "$w"
	grep -Eq "^closed +tcp +LISTEN .*$addr " "$w"
	[ "$(wc -l <"$w")" -eq 2 ]

	# JSON, and the kernel's own notice of a closed TCP socket.
	ns_bg "$NS_S" -v sockets --watch --json --interval 0.1 -c 2 tcp
	wpid=$BG_PID w=$BG_OUT
	ns_bg "$NS_S" -v listen tcp:127.0.0.1:0
	seen_new "$w"
	kill "$BG_PID"
	wait_exit "$wpid" 10
	cat "$w"
	json_valid "$w"
	[ "$(jq -r .event "$w" | tr '\n' ' ')" = "new closed " ]
	[ "$(jq -r .state "$w" | sort -u)" = LISTEN ]
}
