#!/usr/bin/env bash
# Proves that `unbindsim run --shard auto` works on a real scheduler: it starts a
# throw-away one-node Slurm cluster on this machine (munged + slurmctld + slurmd,
# its config and state under a temp dir, nothing in /etc/slurm), submits admin-batch as a
# 3-task job array whose tasks pick their shard from SLURM_ARRAY_TASK_ID /
# SLURM_ARRAY_TASK_COUNT, merges the shard files, and checks the merged summary
# equals the unsharded run byte for byte apart from its "timing" object.
#
# Needs root: it installs slurm-wlm and munge with apt-get when missing, runs
# munged as the munge user and the Slurm daemons as root. Every wait is bounded,
# and an EXIT trap stops all daemons it started. Usage, from anywhere:
#   bash scripts/slurm-shards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

scenario=admin-batch
run_args=(--members 3000 --replications 6 --seed 17)
tasks=3
idle_wait_s=60    # for the node to come up idle
job_wait_s=300    # for the whole job array to finish
bin=$repo/target/release/unbindsim
node=$(hostname -s)
work=""           # temp dir, made in main
daemon_pids=()    # pids of daemons this script started, stopped on exit

# Prints a progress line.
say() { echo "[slurm-shards] $*"; }

# Prints an error and exits non-zero (the EXIT trap then cleans up).
die() {
  echo "[slurm-shards] ERROR: $*" >&2
  exit 1
}

# Installs slurm-wlm and munge unless their commands are already there; a
# temporary policy-rc.d keeps the packages from starting system services.
install_packages() {
  local cmd missing=0
  for cmd in munged mungekey slurmctld slurmd sbatch sinfo squeue scancel; do
    command -v "$cmd" >/dev/null || missing=1
  done
  if [[ $missing == 0 ]]; then
    say "slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm 2>/dev/null || echo '?')," \
      "munge $(dpkg-query -W -f='${Version}' munge 2>/dev/null || echo '?') already installed"
    return
  fi
  [[ $(id -u) == 0 ]] || die "slurm-wlm/munge are missing and installing them needs root"
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  say "installing slurm-wlm and munge (apt-get update + install)"
  local rc=0
  { timeout --foreground 600 apt-get update -q && DEBIAN_FRONTEND=noninteractive timeout --foreground 900 \
      apt-get install -y -q -o Dpkg::Options::=--force-confold slurm-wlm munge; } \
    >"$work/apt.log" 2>&1 || rc=$?
  [[ $own_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
  if [[ $rc != 0 ]]; then
    tail -n 30 "$work/apt.log"
    die "apt-get failed (exit $rc); full log in $work/apt.log"
  fi
  say "installed slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm), munge $(dpkg-query -W -f='${Version}' munge)"
}

# Waits up to $1 seconds for the command after it to succeed; 1 if it never did.
wait_for() {
  local limit=$1 start=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - start < limit)) || return 1
    sleep 1
  done
}

# Creates the munge key if missing and starts a private munged (as the munge
# user) on a socket in the temp dir, then checks a credential round-trips.
start_munge() {
  local key=/etc/munge/munge.key dir=$work/munge
  if [[ ! -s $key ]]; then
    say "creating $key"
    install -d -o munge -g munge -m 0700 /etc/munge
    mungekey --create --keyfile="$key"
    chown munge:munge "$key"
    chmod 0400 "$key"
  fi
  install -d -o munge -g munge -m 0755 "$dir"
  local cmd=(munged --socket="$dir/munge.socket" --pid-file="$dir/munged.pid"
    --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" --key-file="$key")
  say "starting: runuser -u munge -- ${cmd[*]}"
  runuser -u munge -- "${cmd[@]}" || die "munged failed to start; see $dir/munged.log"
  wait_for 10 test -s "$dir/munged.pid" || die "munged wrote no pid file"
  daemon_pids+=("$(cat "$dir/munged.pid")")
  munge -n -S "$dir/munge.socket" | unmunge -S "$dir/munge.socket" >/dev/null ||
    die "munge credential round-trip failed; see $dir/munged.log"
}

# Writes slurm.conf for one node (this machine) and exports SLURM_CONF so the
# daemons, the client commands and the jobs all use it.
write_slurm_conf() {
  local mem_mb
  mem_mb=$(free -m | awk '/^Mem:/ { print int($2 * 0.9) }')
  mkdir -p "$work/state" "$work/spool"
  cat >"$work/slurm.conf" <<EOF
ClusterName=unbindsim
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$work/slurm.conf
  say "wrote $SLURM_CONF (node $node, $(nproc) CPUs, RealMemory=$mem_mb MB)"
}

# True when process $1 is gone.
gone() { ! kill -0 "$1" 2>/dev/null; }

# True when the cluster has no job left.
no_jobs() { [[ -z $(squeue -h 2>/dev/null) ]]; }

# True when sinfo reports this node idle.
node_idle() {
  [[ $(sinfo -h -n "$node" -o %T 2>/dev/null) == idle ]]
}

# Starts slurmctld and slurmd (daemon mode, state cleared) and waits for the
# node to show up idle.
start_slurm() {
  say "starting: slurmctld -c -f $SLURM_CONF"
  slurmctld -c -f "$SLURM_CONF" || die "slurmctld failed to start; see $work/slurmctld.log"
  wait_for 10 test -s "$work/slurmctld.pid" || die "slurmctld wrote no pid file; see $work/slurmctld.log"
  daemon_pids+=("$(cat "$work/slurmctld.pid")")
  say "starting: slurmd -c -f $SLURM_CONF"
  slurmd -c -f "$SLURM_CONF" || die "slurmd failed to start; see $work/slurmd.log"
  wait_for 10 test -s "$work/slurmd.pid" || die "slurmd wrote no pid file; see $work/slurmd.log"
  daemon_pids+=("$(cat "$work/slurmd.pid")")
  say "waiting up to ${idle_wait_s}s for node $node to be idle"
  wait_for "$idle_wait_s" node_idle || {
    sinfo -N -l || true
    tail -n 20 "$work/slurmctld.log" "$work/slurmd.log" || true
    die "node $node not idle after ${idle_wait_s}s"
  }
  sinfo
}

# Builds the release binary (a no-op when it is up to date).
build() {
  say "cargo build --release"
  cargo build --release
  [[ -x $bin ]] || die "no binary at $bin"
}

# Submits the shards as a job array, waits for it and checks every task wrote
# its shard file.
run_array() {
  local rc=0 start=$SECONDS wrap="$bin run $scenario ${run_args[*]} --shard auto --out $work/shards --quiet"
  say "sbatch --array=0-$((tasks - 1)) --wait --wrap \"$wrap\""
  timeout --foreground "$job_wait_s" sbatch --array=0-$((tasks - 1)) --wait --job-name=unbindsim-shards \
    --chdir="$work" --time=10 --output="$work/slurm-%A_%a.out" --wrap "$wrap" || rc=$?
  if [[ $rc != 0 ]]; then
    squeue || true
    for out in "$work"/slurm-*.out; do
      [[ -e $out ]] && { echo "--- $out"; cat "$out"; }
    done
    die "job array failed (sbatch exit $rc$([[ $rc == 124 ]] && echo ", timed out after ${job_wait_s}s"))"
  fi
  local shard i
  for ((i = 0; i < tasks; i++)); do
    shard=$work/shards/$scenario/shard-$i-of-$tasks.json
    [[ -s $shard ]] || die "array task $i wrote no $shard"
  done
  say "all $tasks array tasks wrote their shard ($((SECONDS - start))s)"
}

# Merges the shards, runs the unsharded equivalent and compares the summaries
# up to the "timing" line.
compare() {
  say "merging shards and running the unsharded equivalent"
  "$bin" merge "$work/shards" --out "$work/merged" --quiet
  "$bin" run "$scenario" "${run_args[@]}" --out "$work/whole" --quiet
  local merged=$work/merged/$scenario/summary.json whole=$work/whole/$scenario/summary.json f
  for f in "$merged" "$whole"; do
    [[ -s $f ]] || die "missing $f"
    grep -q '^  "timing":' "$f" || die "no '  \"timing\":' line in $f"
  done
  if ! cmp -s <(sed '/^  "timing":/,$d' "$merged") <(sed '/^  "timing":/,$d' "$whole"); then
    diff <(sed '/^  "timing":/,$d' "$merged") <(sed '/^  "timing":/,$d' "$whole") | head -n 40 || true
    die "merged summary differs from the unsharded run ($merged vs $whole)"
  fi
}

# EXIT trap: cancels leftover jobs, stops the daemons this script started
# (newest first, SIGKILL after 10 s), and removes the temp dir on success.
cleanup() {
  local rc=$? i pid
  set +e
  if ((${#daemon_pids[@]} > 0)); then
    scancel --name=unbindsim-shards 2>/dev/null
    # give slurmstepd a moment to reap cancelled tasks before slurmd goes
    wait_for 10 no_jobs
    for ((i = ${#daemon_pids[@]} - 1; i >= 0; i--)); do
      pid=${daemon_pids[i]}
      kill "$pid" 2>/dev/null || continue
      wait_for 10 gone "$pid" ||
        { say "pid $pid ignored SIGTERM, killing"; kill -9 "$pid" 2>/dev/null; }
    done
    say "stopped daemons (pids ${daemon_pids[*]})"
  fi
  if [[ $rc == 0 ]]; then
    rm -rf "$work"
  elif [[ -n $work ]]; then
    say "failed (exit $rc); logs kept in $work"
  fi
  exit "$rc"
}

main() {
  [[ $(id -u) == 0 ]] || die "must run as root (starts munged and Slurm daemons)"
  local start=$SECONDS
  work=$(mktemp -d /tmp/slurm-shards.XXXXXX)
  chmod 755 "$work" # munged runs as munge and must reach its socket dir
  trap cleanup EXIT
  trap 'die "interrupted"' INT TERM
  install_packages
  build
  start_munge
  write_slurm_conf
  start_slurm
  run_array
  compare
  say "merged summary of $tasks Slurm array tasks equals the unsharded run ($((SECONDS - start))s)"
}

main "$@"
