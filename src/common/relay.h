/* relay.h - attach the user's terminal to a guest console fd until the detach key. */
#ifndef VD_COMMON_RELAY_H
#define VD_COMMON_RELAY_H

#define VD_DETACH_KEY 0x1d /* Ctrl-] as in telnet and virsh console */

/* Put stdin in raw mode (when it is a terminal), copy bytes both ways between the terminal
 * and fd until the user types the detach key or the guest side closes, then restore the
 * terminal. Returns 0 on detach, 1 when the guest closed the console. */
int vd_relay_console(int fd);

#endif
