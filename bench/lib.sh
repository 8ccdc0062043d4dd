# bench/lib.sh - what bench/echo.sh and bench/honest.sh share (sourced,
# not run). The script sets TMP (its scratch directory) and PIDS=()
# first; `trap cleanup EXIT` then stops every server it started, by PID.

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bg CMD... : start a server in the background, remember its PID (in
# LAST too). CMD must be a program (taskset, not a shell function: a
# function would run in a subshell, and its PID is not the server's).
bg() {
	"$@" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null &
	LAST=$!
	PIDS+=("$LAST")
}
