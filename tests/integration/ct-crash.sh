#!/bin/sh
# ct-crash.sh - the supervisor itself is killed with SIGKILL: the container shows as lost,
# and kill/delete still remove its processes, cgroups and state files.
. "$(dirname "$0")/ct-lib.sh"

# Alive and not a zombie (this machine's PID 1 may not reap orphans).
alive() { [ -r /proc/"$1"/stat ] && [ "$(awk '{print $3}' /proc/"$1"/stat)" != Z ]; }

ct_new cr --memory 32M -- /bin/sleep 600
sup=$(ct_field status cr supervisor_pid)
init=$(ct_field status cr init_pid)
kill -9 "$sup"
sleep 0.2
[ "$(ct_state cr)" = lost ] || fail "a container without its supervisor shows as $(ct_state cr)"
alive "$init" || fail "init died with its supervisor"
ok "supervisor killed: listed as lost, init $init still there"

vd kill cr >/dev/null || fail "kill of a lost container"
sleep 0.1
! alive "$init" || fail "init $init survived kill"
[ "$(ct_state cr)" = stopped ] || fail "not stopped after kill: $(ct_state cr)"
vd delete cr >/dev/null || fail "delete"
ct_assert_gone cr
ok "kill cleaned up after the lost supervisor: processes, cgroups and state files gone"
