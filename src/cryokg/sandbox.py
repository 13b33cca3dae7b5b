"""Operating-system limits for the code that evaluates SPARQL someone else wrote: no network, bounded memory.

pyoxigraph evaluates ``SERVICE <url>`` by opening a connection to *url* and has no switch to turn that off
(0.5). The text checks of :mod:`cryokg.publish.web.security` refuse SERVICE before evaluation, but a text check is
one parser difference away from a bypass (two were found: ``trueSERVICE`` and ``SERVICE:x``). So the code
that evaluates such a query runs where the kernel refuses to open a network connection at all:

* :func:`deny_network` loads a seccomp filter (libseccomp, through its Python bindings: Debian's
  ``python3-seccomp`` when importable, else the ctypes binding ``pyseccomp`` of the same API) that makes
  ``socket``, ``socketpair``, ``connect``, ``bind``, ``listen``, ``accept``/``accept4`` and ``io_uring_setup``
  fail with ``EACCES``. No socket can be created or connected, whatever library asks; sockets that exist
  already (a worker's pipe to the server is a Unix socket pair made before the filter) keep working. Calls
  through another architecture's system-call table (``int 0x80``) kill the process (libseccomp's default).
  The filter also refuses ``setrlimit``/``prlimit64`` with a new limit, so the memory cap cannot be lifted.
  A filter can never be removed: it binds the calling thread (or, with ``all_threads``, every thread of the
  process) and every thread or process started from it.
* :func:`limit_memory` sets ``RLIMIT_AS``: past it an allocation fails; Python raises ``MemoryError`` and
  pyoxigraph (Rust) aborts the process, which the server sees and answers as "too expensive".
* :func:`call_without_network` runs one function in a fresh thread that denies itself the network first:
  ``cryokg query`` evaluates there, so the rest of the process (and a test runner calling ``main``) keeps
  its network.

Why seccomp and not Landlock: Landlock's network rules (ABI 4, Linux 6.7) cover TCP ``bind``/``connect``
only, not UDP or other families; the seccomp filter refuses every socket. Both need Linux; where the filter
cannot be loaded (another OS, libseccomp missing) :class:`SandboxUnavailable` says so and the caller fails
closed: the server's workers do not start, ``cryokg query`` refuses unless ``--allow-service`` is given.
"""

from __future__ import annotations

import errno
import resource
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

from cryokg.errors import BadInput

__all__ = ["DENIED_SYSCALLS", "SandboxUnavailable", "call_without_network", "deny_network", "limit_memory"]

T = TypeVar("T")

DENIED_SYSCALLS = ("socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "io_uring_setup")
"""System calls the filter makes fail with EACCES: nothing can create, connect or accept a socket."""


class SandboxUnavailable(BadInput):
    """The kernel filter cannot be loaded here; the message says why."""


def _seccomp() -> ModuleType:
    """libseccomp's Python bindings (untyped: what the filter is built from is checked by the tests, not mypy)."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"seccomp filters need Linux (this is {sys.platform})")
    try:
        import seccomp  # libseccomp's own bindings (Debian: python3-seccomp)

        return seccomp
    except ImportError:
        pass
    try:
        import pyseccomp

        return pyseccomp
    except (ImportError, RuntimeError, OSError) as exc:  # RuntimeError: libseccomp.so not found
        raise SandboxUnavailable(f"libseccomp is not available ({exc}): install the libseccomp2 package") from None


def deny_network(*, all_threads: bool = False) -> None:
    """Make every later socket system call of this thread (*all_threads*: of the whole process) fail.

    >>> import socket, threading
    >>> def probe():
    ...     deny_network()
    ...     try:
    ...         socket.socket()
    ...     except PermissionError:
    ...         print("refused")
    >>> thread = threading.Thread(target=probe); thread.start(); thread.join()
    refused
    """
    seccomp = _seccomp()
    try:
        filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        refuse = seccomp.ERRNO(errno.EACCES)
        for name in DENIED_SYSCALLS:
            filt.add_rule(refuse, name)
        filt.add_rule(refuse, "setrlimit")
        filt.add_rule(refuse, "prlimit64", seccomp.Arg(2, seccomp.NE, 0))  # setting a limit; reading is fine
        if all_threads:
            filt.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        filt.load()
    except (OSError, RuntimeError, ValueError) as exc:
        raise SandboxUnavailable(f"could not load the seccomp filter: {exc}") from None


def limit_memory(mib: int) -> None:
    """Cap this process's address space at *mib* MiB (``RLIMIT_AS``, soft and hard)."""
    limit = mib * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError) as exc:
        raise SandboxUnavailable(f"could not limit memory to {mib} MiB: {exc}") from None


def call_without_network(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a new thread that cannot open sockets; its result or exception is passed on.

    The thread's filter is permanent, so the thread is used once and ends with the call.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            deny_network()
            outcome.append(function(*args))
        except BaseException as exc:  # handed to the calling thread, re-raised there
            failure.append(exc)

    thread = threading.Thread(target=run, name="cryokg-no-network")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
