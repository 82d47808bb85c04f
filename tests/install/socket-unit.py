#!/usr/bin/python3
"""socket-unit.py -- what parley-api.socket + parley-api.service do under
systemd, for a test machine without systemd as PID 1 (run as root):

  socket-unit.py SOCKET OWNER GROUP MODE USER -- COMMAND [ARGS...]

* like the .socket unit: binds and listens on the Unix socket SOCKET, owned
  OWNER:GROUP with MODE (octal), and keeps it open for as long as it runs;
* like the .service unit (StandardInput=socket, User=USER, Group=USER):
  runs COMMAND as USER with that listening socket as standard input;
* SIGHUP = `systemctl restart parley-api`: SIGTERM to the service, wait
  for it to exit, start it again; the socket is never closed meanwhile;
* like TimeoutStopSec=30s with KillMode=control-group: a service still
  running 30 s after SIGTERM is killed with everything it started
  ("stop timed out" on stdout), so a stuck worker fails a test instead of
  hanging it;
* SIGTERM: stops the service, removes the socket, exits.

Writes "started <pid>" to stdout each time it starts COMMAND.
"""
import grp
import os
import pwd
import signal
import socket
import subprocess
import sys
import time

STOP_TIMEOUT = 30   # parley-api.service's TimeoutStopSec


def main():
    path, owner, group, mode, user = sys.argv[1:6]
    if sys.argv[6] != '--':
        sys.exit('usage: socket-unit.py SOCKET OWNER GROUP MODE USER -- COMMAND...')
    cmd = sys.argv[7:]
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chown(path, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
    os.chmod(path, int(mode, 8))
    sock.listen(4096)
    pw = pwd.getpwnam(user)

    def start():
        p = subprocess.Popen(cmd, stdin=sock.fileno(), user=pw.pw_uid, group=pw.pw_gid,
                             extra_groups=[], close_fds=True, start_new_session=True)
        print(f'started {p.pid}', flush=True)
        return p

    def stop(p):
        p.terminate()
        try:
            p.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            print('stop timed out', flush=True)
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()

    state = {'child': start(), 'restart': False, 'stop': False}
    signal.signal(signal.SIGHUP, lambda *_: state.update(restart=True))
    signal.signal(signal.SIGTERM, lambda *_: state.update(stop=True))
    while True:
        if state['stop'] or state['restart']:
            stop(state['child'])
            if state['stop']:
                break
            state['restart'] = False
            state['child'] = start()
        try:
            state['child'].wait(timeout=0.05)
            # The service died on its own: systemd's Restart= would start it again.
            if not state['stop']:
                print(f'exited {state["child"].returncode}', flush=True)
                time.sleep(1)   # RestartSec=1s
                state['child'] = start()
        except subprocess.TimeoutExpired:
            pass
    sock.close()
    os.unlink(path)


if __name__ == '__main__':
    main()
