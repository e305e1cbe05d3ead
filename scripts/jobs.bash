# scripts/jobs.bash: background jobs and ports for the scripts that start
# servers (tests/cli/redis_bgsave.sh, nginx.sh, zygote.sh through
# tests/cli/lib.bash; bench/redis.sh).  Sourced, not run.
#
# Jobs go into PIDS; kill_jobs (at exit) kills each with its descendants
# (timeout -> ufork run -> runtime, a server and its children).
PIDS=()
# tree PID: PID and its descendants, up to 4 levels
tree() {
    local p=$1 c
    echo "$p"
    [ "${2:-0}" -lt 4 ] || return 0
    for c in $(pgrep -P "$p"); do tree "$c" $((${2:-0} + 1)); done
}
# kill_jobs [PID...]: SIGKILL the jobs in PIDS, their descendants and the
# PIDs given; reap the jobs
kill_jobs() {
    local p all=("$@")
    for p in "${PIDS[@]}"; do
        kill -0 "$p" 2>/dev/null && mapfile -t -O "${#all[@]}" all < <(tree "$p")
    done
    [ ${#all[@]} -gt 0 ] && kill -KILL "${all[@]}" 2>/dev/null
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}

# pick_port: a free TCP port on 127.0.0.1 from 61000-64999 (above the
# ephemeral range), not picked before; prints it, or says why not on stderr
# and returns 1
USED_PORTS=" "
pick_port() {
    local p _
    for _ in $(seq 50); do
        p=$((61000 + RANDOM % 4000))
        case $USED_PORTS in *" $p "*) continue ;; esac
        if command -v ss >/dev/null 2>&1; then
            [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] || continue
        elif (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            continue
        fi
        USED_PORTS="$USED_PORTS$p "
        echo "$p"
        return 0
    done
    echo "no free port found in 61000-64999" >&2
    return 1
}
