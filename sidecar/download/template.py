"""The template: a process with yt-dlp imported and warmed up, which forks one worker per job (Linux).

A fresh worker process spends most of a short download importing yt-dlp and compiling its
extractors' URL patterns (about 0.7 s here, more on a busy machine). The template does that
once, then forks a child for each probe or job: the child is a worker like any other, with
the same isolation (its own session and process group, its own request channel, its temp
dir), and it starts in a few milliseconds. The template fetches nothing, runs no request and
holds no thread, so a fork of it is what a fresh worker would be after its imports: every
policy check (the address guard, the native-downloader rule, the confined final move) is set
up by the request, in the child.

Started by ``launcher`` as ``python -I -m sidecar.download.template``, with a Unix socket as
its stdin: the control channel. Each message from the sidecar is one byte carrying one file
descriptor (``SCM_RIGHTS``): the child's end of a new socket pair, on which the sidecar then
sends the request and the child its events. The template answers ``started <pid>`` for each
child, in order, and ``exited <pid> <code>`` when it has reaped one (a negative code is the
signal that ended it).

It stays in the sidecar's process group (so the host's kill of that group reaches it) but
ignores SIGINT: the sidecar decides when it ends, by closing the control channel, or by
dying, which closes it too (and each child's channel, so the children stop by themselves).
Then the template kills the groups of the children still there after a grace period, reaps
them, and exits.
"""

from __future__ import annotations

import gc
import logging
import os
import selectors
import signal
import socket
import sys
import time
from typing import NoReturn

from .. import logs
from . import worker

log = logging.getLogger("sidecar.download.template")
FORK_FAILED = 71  # EX_OSERR
END_GRACE = 3.0  # as a cancel's grace: for children still stopping when the sidecar is gone, before the kill


class Template:
    def __init__(self, control: socket.socket) -> None:
        self._control = control
        self._children: set[int] = set()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._selector = selectors.DefaultSelector()

    def serve(self) -> None:
        """Fork a worker for each descriptor the sidecar sends, report exits, until the channel closes."""
        signal.set_wakeup_fd(self._wake_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # only to wake the loop (set_wakeup_fd)
        self._selector.register(self._control, selectors.EVENT_READ)
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        try:
            while self._step():
                pass
        except OSError as exc:  # the sidecar is gone mid-message
            log.info("control channel failed: %s", exc)
        self._end_children()

    def _step(self) -> bool:
        for key, _events in self._selector.select():
            if key.fileobj is self._control:
                message, fds, _flags, _address = socket.recv_fds(self._control, 1, 1)
                if not message:
                    return False  # the sidecar closed the channel (or died)
                for fd in fds:
                    self._fork(fd)
            else:
                while _drained(self._wake_read):
                    pass
                self._reap(block=False)
        return True

    def _fork(self, channel_fd: int) -> None:
        sys.stderr.flush()  # nothing buffered may be written twice
        try:
            pid = os.fork()
        except OSError as exc:
            log.error("cannot fork a worker: %s", exc)
            os.close(channel_fd)  # the sidecar sees its channel close at once
            self._send(b"started 0\n")
            return
        if pid == 0:
            try:
                self._become_worker(channel_fd)
            finally:
                os._exit(FORK_FAILED)  # serve() never returns; this is for an exception before it
        os.close(channel_fd)  # only the child holds it now, so its EOF is the sidecar's and the child's alone
        self._children.add(pid)
        self._send(b"started %d\n" % pid)

    def _become_worker(self, channel_fd: int) -> NoReturn:
        os.setsid()  # a session and process group of its own, as a spawned worker has
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its own children (ffmpeg) are reaped by subprocess
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a cancel's SIGINT interrupts the job
        self._selector.close()
        self._control.close()
        os.close(self._wake_read)
        os.close(self._wake_write)
        worker.serve(channel_fd, channel_fd)
        os._exit(FORK_FAILED)  # serve() ends the process itself

    def _reap(self, block: bool) -> None:
        while self._children:
            try:
                pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self._children:
                self._children.discard(pid)
                self._send(b"exited %d %d\n" % (pid, os.waitstatus_to_exitcode(status)))

    def _send(self, line: bytes) -> None:
        try:
            self._control.sendall(line)
        except OSError:
            pass  # the sidecar is gone; the loop sees the channel close

    def _end_children(self) -> None:
        # The sidecar is stopping or gone: nobody is left to collect a child's work. Each child has
        # seen its own channel close and is stopping (removing its temp dir); a grace, then the kill.
        deadline = time.monotonic() + END_GRACE
        while self._children and time.monotonic() < deadline:
            self._reap(block=False)
            time.sleep(0.02)
        for pid in self._children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._reap(block=True)


def _drained(fd: int) -> bool:
    try:
        return bool(os.read(fd, 512))
    except BlockingIOError:
        return False


def main() -> None:
    logs.configure(worker.log_level_argument(sys.argv))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the sidecar ends the template, by closing the channel
    control = socket.socket(fileno=os.dup(0))  # launcher passes the control socket as stdin
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    worker.preload(worker.ffmpeg_argument(sys.argv))
    # What the warm-up made is never freed: out of the collector's sight, a child's collections
    # neither take the time to walk it nor touch (and so copy) the pages it shares with the template.
    gc.freeze()
    log.info("download template ready (pid %d)", os.getpid())
    Template(control).serve()
    logging.shutdown()


if __name__ == "__main__":
    main()
