#!/usr/bin/env bash
# Brings up a single-node Slurm on this machine (Debian 12, as root) for the Slurm tests:
# installs Debian's slurm-wlm and munge, writes a munge key and a slurm.conf for localhost,
# starts munged, slurmctld and slurmd, and waits until `sinfo` shows the node idle.
#
# Idempotent: a second run finds the packages installed and the daemons answering, and only
# checks. Containers have no systemd, so the daemons are started directly; cgroups are not
# used (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none), which is what lets Slurm
# run array jobs inside an unprivileged container.
#
# There is no slurmdbd here, so accounting is off (accounting_storage/none) and `sacct` does
# not answer; meshagents watches jobs with squeue and the files its tasks write instead.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "slurm-up.sh: must run as root (it installs packages and starts daemons)" >&2
    exit 1
fi

log() { echo "slurm-up: $*" >&2; }

# -- packages ---------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    # The packages' scripts must not start the daemons (there is no slurm.conf yet, and no
    # init system in a container): a policy-rc.d that says "no" for the install, as Debian's
    # container images have.
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        added_policy=1
    fi
    apt-get update -qq
    apt-get install -y -qq slurm-wlm munge >/dev/null
    if [ "$added_policy" = 1 ]; then rm -f "$policy"; fi
fi

# -- munge ------------------------------------------------------------------------------------
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    log "writing a munge key"
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! munge -n </dev/null >/dev/null 2>&1; then
    log "starting munged"
    # A stale socket or pid file from a killed munged makes a new one refuse to start.
    rm -f /run/munge/munge.socket.2 /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do
        munge -n </dev/null >/dev/null 2>&1 && break
        sleep 0.1
    done
    munge -n </dev/null >/dev/null || { log "munged does not answer"; exit 1; }
fi

# -- slurm.conf -------------------------------------------------------------------------------
# The node's real layout, as slurmd measures it (a node configured with more than it has is
# drained). RealMemory is 90 % of the measured memory, for the same reason.
hw=$(/usr/sbin/slurmd -C | head -n 1)
field() { printf '%s\n' "$hw" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
cpus=$(field CPUs)
sockets=$(field SocketsPerBoard)
cores=$(field CoresPerSocket)
threads=$(field ThreadsPerCore)
mem_mb=$(( $(field RealMemory) * 9 / 10 ))
install -d -m 0755 /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
conf=/etc/slurm/slurm.conf
wanted=$(cat <<EOF
# Written by meshagents ci/slurm-up.sh: a single-node cluster on localhost.
ClusterName=meshagents
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
# Without a default, a job that asks for no memory is given the whole node and array tasks
# run one at a time.
DefMemPerCPU=1024
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Finished jobs stay visible to squeue/scontrol for an hour (the default is 5 minutes).
MinJobAge=3600
# Quick scheduling, for tests that submit small jobs.
SchedulerParameters=sched_interval=2
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=localhost CPUs=${cpus} Sockets=${sockets} CoresPerSocket=${cores} ThreadsPerCore=${threads} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
)
changed=0
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$wanted" ]; then
    log "writing $conf"
    printf '%s\n' "$wanted" >"$conf"
    changed=1
fi
# No cgroup.conf: Slurm 22.05 has no "disabled" cgroup plugin, and without the file slurmd
# only loads the v1 plugin without using it (proctrack/linuxproc, task/none).

# -- daemons ----------------------------------------------------------------------------------
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ "$changed" = 1 ]; then
    # A new configuration: restart what runs under the old one.
    for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
        if running "$pidfile"; then
            kill "$(cat "$pidfile")" || true
            for _ in $(seq 50); do running "$pidfile" || break; sleep 0.1; done
        fi
    done
fi
fail_with_logs() {
    log "$1; logs follow"
    tail -n 30 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    exit 1
}
if ! running /run/slurmctld.pid; then
    log "starting slurmctld"
    /usr/sbin/slurmctld || fail_with_logs "slurmctld did not start"
fi
if ! running /run/slurmd.pid; then
    log "starting slurmd"
    /usr/sbin/slurmd -N localhost || fail_with_logs "slurmd did not start"
fi

# -- wait for the node ------------------------------------------------------------------------
state=""
for _ in $(seq 120); do
    state=$(sinfo -h -n localhost -o '%T' 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle | mixed | allocated) break ;;
        drained* | down* | draining*)
            # A node that came back after a restart (or a first start that raced slurmctld)
            # is brought back into service.
            scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
            ;;
    esac
    sleep 0.5
done
case "$state" in
    idle | mixed | allocated) log "node localhost is $state" ;;
    *) fail_with_logs "the node did not become idle (state: '${state:-unknown}')" ;;
esac
