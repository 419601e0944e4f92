#!/usr/bin/python3
"""plugtcp interop tests: plugtcp-tun against the Linux kernel's TCP.

Every case runs in a network namespace of its own (`unshare -n`): lo
and one TUN device (ptun0) with private addresses, the kernel at
10.77.0.1 and plugtcp's stack at 10.77.0.2.  The namespace has no other
interface and no route out, so no packet can leave it; it disappears,
device and all, when the case's processes exit.  The kernel's side is
Python's socket module (standard library only); plugtcp's side is
tools/plugtcp-tun, whose --json summary the cases check.

    interop.py GROUP...      run the cases of these groups (or case names)
    interop.py all           every group but the soak
    interop.py soak          1000 sequential and 50 concurrent connections
    interop.py --list        list groups and cases

Exit status: 0 all passed, 1 a case failed, 77 (automake's SKIP) when
not root, without /dev/net/tun, unshare, ip or plugtcp-tun.
Environment: PLUGTCP_TUN (the binary; default
$abs_top_builddir/tools/plugtcp-tun), INTEROP_VERBOSE=1 (show the
summaries), TSHARK.
"""

import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
DEV = "ptun0"
KADDR = "10.77.0.1"  # the kernel's end of the TUN
PADDR = "10.77.0.2"  # plugtcp's stack
PREFIX = "24"
PORT = 5000
MiB = 1 << 20
KiB = 1 << 10
HERE = os.path.dirname(os.path.abspath(__file__))
VERBOSE = os.environ.get("INTEROP_VERBOSE") == "1"

# Linux's TCP states (include/net/tcp_states.h) and tcp_info option bits.
TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT = 4, 5, 8
TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE = 1, 2, 4


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ---------------------------------------------------------------------------
# The byte pattern of plugtcp-tun --source (tools/tun/tun_pattern.h): byte i
# is the top byte of (i mod 65521) * 2654435761 mod 2^32.

PERIOD = 65521
_block = None


def pattern(n):
    global _block
    if _block is None:
        _block = bytes((((j * 2654435761) & 0xFFFFFFFF) >> 24) for j in range(PERIOD))
    return (_block * (n // PERIOD + 1))[:n]


def sha(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------
# The kernel's side


def tcp_info(sock):
    """(state, options, snd_wscale, rcv_wscale, snd_mss) from TCP_INFO."""
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    b = struct.unpack("8B", raw[:8])
    snd_mss = struct.unpack("I", raw[16:20])[0]
    return {"state": b[0], "options": b[5], "snd_wscale": b[6] & 15,
            "rcv_wscale": b[6] >> 4, "snd_mss": snd_mss}


def k_connect(port=PORT, timeout=10, maxseg=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if maxseg is not None:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, maxseg)
    s.connect((PADDR, port))
    return s


def k_listen(port=PORT, backlog=128):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((KADDR, port))
    s.listen(backlog)
    s.settimeout(10)
    return s


def k_accept(ls, timeout=10):
    ls.settimeout(timeout)
    try:
        a, _ = ls.accept()
    except socket.timeout:
        raise Fail("the kernel accepted no connection within %d s" % timeout)
    a.settimeout(20)
    return a


def recv_all(sock, limit=None, on_progress=None):
    """Reads until EOF (or |limit| bytes).  Returns (bytes, errno or None)."""
    buf = bytearray()
    try:
        while limit is None or len(buf) < limit:
            d = sock.recv(256 * KiB if limit is None else min(256 * KiB, limit - len(buf)))
            if not d:
                break
            buf += d
            if on_progress is not None:
                on_progress(len(buf))
    except OSError as e:
        return bytes(buf), e.errno or errno.ETIMEDOUT
    return bytes(buf), None


def send_all(sock, data):
    """Sends |data|; returns None or the errno that stopped it."""
    try:
        sock.sendall(data)
    except OSError as e:
        return e.errno or errno.ETIMEDOUT
    return None


class Thread:
    """Runs fn() in a daemon thread; join() returns its result or re-raises."""

    def __init__(self, fn):
        self.result = None
        self.exc = None
        self.t = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.t.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except BaseException as e:  # handed to join()
            self.exc = e

    def join(self, timeout=60):
        self.t.join(timeout)
        if self.t.is_alive():
            raise Fail("a kernel-side thread did not finish within %d s" % timeout)
        if self.exc is not None:
            raise self.exc
        return self.result


def abortive_close(sock):
    """close() with SO_LINGER {on, 0}: the kernel sends RST."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def time_wait_sockets():
    """The kernel's TIME-WAIT sockets as (local, peer) 'ip:port' pairs."""
    out = subprocess.run(["ss", "-Htan", "state", "time-wait"], capture_output=True,
                         text=True, check=True).stdout
    pairs = []
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4:
            pairs.append((f[-2], f[-1]))
    return pairs


def kernel_sockets(local, peer):
    """Any kernel socket, whatever its state, for this 4-tuple."""
    out = subprocess.run(["ss", "-Htan"], capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines() if local in l.split() and peer in l.split()]


def echo_server(ls, conns=1):
    """Echoes |conns| connections, one thread each; returns their byte counts."""
    def one(a):
        n = 0
        try:
            while True:
                d = a.recv(256 * KiB)
                if not d:
                    break
                a.sendall(d)
                n += len(d)
        finally:
            a.close()
        return n
    threads = [Thread(lambda a=k_accept(ls, 20): one(a)) for _ in range(conns)]
    return [t.join(120) for t in threads]


# ---------------------------------------------------------------------------
# plugtcp's side


class Ctx:
    def __init__(self, tun_bin):
        self.tun_bin = tun_bin
        self.tmp = tempfile.mkdtemp(prefix="ptcp-interop.")
        self.procs = []

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class Plug:
    """One plugtcp-tun run; server runs wait until the stack listens."""

    def __init__(self, ctx, args, timeout="30s"):
        self.ready = os.path.join(ctx.tmp, "ready.%d" % len(ctx.procs))
        self.cmd = [ctx.tun_bin, "--dev", DEV, "--addr", PADDR, "--json", "--timeout",
                    timeout, "--ready", self.ready] + args
        self.p = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        ctx.procs.append(self.p)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.ready):
            if self.p.poll() is not None:
                out, err = self.p.communicate()
                raise Fail("plugtcp-tun exited with %d before it was ready: %s"
                           % (self.p.returncode, err.strip() or out.strip()))
            if time.monotonic() > deadline:
                raise Fail("plugtcp-tun was not ready within 10 s")
            time.sleep(0.005)

    def finish(self, rc=0, timeout=60):
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
            raise Fail("plugtcp-tun did not exit within %d s" % timeout)
        if VERBOSE:
            sys.stderr.write("$ %s\n%s%s" % (" ".join(self.cmd), out, err))
        try:
            self.json = json.loads(out)
        except ValueError:
            raise Fail("plugtcp-tun (exit %d) printed no JSON summary: %s"
                       % (self.p.returncode, err.strip()))
        if rc is not None and self.p.returncode != rc:
            raise Fail("plugtcp-tun exited with %d, expected %d: %s"
                       % (self.p.returncode, rc, problems(self.json) or err.strip()))
        return self.json

    def conn(self, rc=0, timeout=60):
        """finish(), then the one connection's record."""
        j = self.finish(rc, timeout)
        check(len(j["connections"]) == 1,
              "plugtcp-tun reports %d connections, expected 1" % len(j["connections"]))
        return j["connections"][0]


def problems(j):
    out = []
    if j.get("error"):
        out.append(j["error"])
    for c in j.get("connections", []):
        if not c["ok"]:
            out.append("#%d: %s" % (c["id"], c["problem"] or c["error"] or c["final_state"]))
    return "; ".join(out[:5])


def expect_bytes(c, sent=None, received=None):
    """Checks byte counts and SHA-256 of plugtcp's connection record."""
    if sent is not None:
        check(c["bytes_sent"] == len(sent),
              "plugtcp sent %d bytes, expected %d" % (c["bytes_sent"], len(sent)))
        check(c["sha256_sent"] == sha(sent), "plugtcp's sent sha256 differs")
    if received is not None:
        check(c["bytes_received"] == len(received),
              "plugtcp received %d bytes, expected %d" % (c["bytes_received"], len(received)))
        check(c["sha256_received"] == sha(received),
              "plugtcp received different bytes (sha256 %s, expected %s)"
              % (c["sha256_received"], sha(received)))


def kernel_got(data, want, what="the kernel"):
    check(len(data) == len(want), "%s received %d bytes, expected %d"
          % (what, len(data), len(want)))
    check(sha(data) == sha(want), "%s received different bytes (sha256 mismatch)" % what)


# ---------------------------------------------------------------------------
# Cases.  Each is named GROUP-DETAIL; "kernel-client" means the kernel
# connects to plugtcp-tun's listener, "kernel-server" the other way round.

CASES = {}


def case(name):
    def reg(fn):
        CASES[name] = fn
        return fn
    return reg


# --- handshake --------------------------------------------------------------

def expect_full_options(c, info):
    o = c["options"]
    check(o["wscale"] and o["sack"] and o["timestamps"],
          "plugtcp did not take every option the kernel offered: %s" % o)
    check(info["options"] & 7 == 7,
          "the kernel does not use every option (tcpi_options %#x)" % info["options"])
    check(o["snd_wscale"] == info["rcv_wscale"] and o["rcv_wscale"] == info["snd_wscale"],
          "window scales disagree: plugtcp snd %d rcv %d, kernel snd %d rcv %d"
          % (o["snd_wscale"], o["rcv_wscale"], info["snd_wscale"], info["rcv_wscale"]))
    check(o["snd_mss"] == 1448, "plugtcp's MSS with timestamps is %d, not 1448" % o["snd_mss"])


@case("handshake-kernel-client")
def _(ctx):
    p = Plug(ctx, ["--listen", str(PORT), "--sink"])
    s = k_connect()
    info = tcp_info(s)
    s.close()
    c = p.conn()
    check(c["established"], "plugtcp never reached ESTABLISHED")
    expect_full_options(c, info)
    check(c["final_state"] == "CLOSED", "plugtcp ended in %s" % c["final_state"])


@case("handshake-kernel-server")
def _(ctx):
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--sink"])
    a = k_accept(ls)
    info = tcp_info(a)
    a.close()
    c = p.conn()
    check(c["established"], "plugtcp never reached ESTABLISHED")
    expect_full_options(c, info)


# --- 10 MiB each way at once ------------------------------------------------

BULK = 10 * MiB


@case("bulk-kernel-client")
def _(ctx):
    data = pattern(BULK)
    p = Plug(ctx, ["--listen", str(PORT), "--source", str(BULK)])
    s = k_connect()
    tx = Thread(lambda: (send_all(s, data), s.shutdown(socket.SHUT_WR))[0])
    got, err = recv_all(s)
    check(tx.join() is None, "the kernel's send failed")
    check(err is None, "the kernel's recv failed: %s" % os.strerror(err or 0))
    s.close()
    kernel_got(got, data)
    expect_bytes(p.conn(), sent=data, received=data)


@case("bulk-kernel-server")
def _(ctx):
    data = pattern(BULK)
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(BULK)])
    a = k_accept(ls)
    tx = Thread(lambda: (send_all(a, data), a.shutdown(socket.SHUT_WR))[0])
    got, err = recv_all(a)
    check(tx.join() is None, "the kernel's send failed")
    check(err is None, "the kernel's recv failed: %s" % os.strerror(err or 0))
    a.close()
    kernel_got(got, data)
    expect_bytes(p.conn(), sent=data, received=data)


# --- echo -------------------------------------------------------------------

ECHO = 1 * MiB


@case("echo-kernel-client")
def _(ctx):
    data = os.urandom(ECHO)
    p = Plug(ctx, ["--listen", str(PORT), "--echo"])
    s = k_connect()
    tx = Thread(lambda: (send_all(s, data), s.shutdown(socket.SHUT_WR))[0])
    got, err = recv_all(s)
    check(tx.join() is None and err is None, "the kernel's socket failed")
    s.close()
    check(got == data, "the echo differs from what the kernel sent (%d of %d bytes)"
          % (len(got), len(data)))
    expect_bytes(p.conn(), sent=data, received=data)


@case("echo-kernel-server")
def _(ctx):
    ls = k_listen()
    src = os.path.join(ctx.tmp, "send.bin")
    data = os.urandom(ECHO)
    with open(src, "wb") as f:
        f.write(data)
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--send", src, "--expect-echo"])
    n = echo_server(ls)
    c = p.conn()
    check(n == [len(data)], "the kernel echoed %s bytes, expected %d" % (n, len(data)))
    check(c.get("echo_ok") is True, "plugtcp found the echo different")
    expect_bytes(c, sent=data, received=data)


# --- half-close ------------------------------------------------------------
# The side that shuts down first must go on receiving: the other side
# sends 2 MiB after the FIN, and the first side's state shows it was
# half-closed while the data arrived.

HALF = 2 * MiB


def read_while_half_closed(sock, want_states, what):
    states = set()

    def progress(n):
        if len(states) < 1 and n >= MiB:
            states.add(tcp_info(sock)["state"])
    got, err = recv_all(sock, on_progress=progress)
    check(err is None, "%s: recv failed: %s" % (what, os.strerror(err or 0)))
    check(states and states <= want_states,
          "%s: the kernel was in state %s while receiving, not half-closed" % (what, states))
    return got


@case("halfclose-kernel-first-kernel-client")
def _(ctx):
    data = pattern(HALF)
    p = Plug(ctx, ["--listen", str(PORT), "--source", str(HALF)])
    s = k_connect()
    s.shutdown(socket.SHUT_WR)  # the kernel's FIN before any data
    got = read_while_half_closed(s, {TCP_FIN_WAIT1, TCP_FIN_WAIT2}, "kernel client")
    s.close()
    kernel_got(got, data)
    c = p.conn()
    expect_bytes(c, sent=data, received=b"")
    check(c["peer_fin"], "plugtcp never saw the kernel's FIN")
    check(c["final_state"] == "CLOSED", "plugtcp (the passive closer) ended in %s"
          % c["final_state"])


@case("halfclose-kernel-first-kernel-server")
def _(ctx):
    data = pattern(HALF)
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(HALF)])
    a = k_accept(ls)
    a.shutdown(socket.SHUT_WR)
    got = read_while_half_closed(a, {TCP_FIN_WAIT1, TCP_FIN_WAIT2}, "kernel server")
    a.close()
    kernel_got(got, data)
    c = p.conn()
    expect_bytes(c, sent=data, received=b"")
    check(c["final_state"] == "CLOSED", "plugtcp (the passive closer) ended in %s"
          % c["final_state"])


def answer_after_eof(sock, first, reply):
    """Reads |first| bytes and the FIN, checks CLOSE-WAIT, sends |reply|, closes."""
    got, err = recv_all(sock)
    check(err is None, "the kernel's recv failed: %s" % os.strerror(err or 0))
    kernel_got(got, first)
    st = tcp_info(sock)["state"]
    check(st == TCP_CLOSE_WAIT, "after plugtcp's FIN the kernel is in state %d, "
          "not CLOSE-WAIT" % st)
    check(send_all(sock, reply) is None, "the kernel's send after plugtcp's FIN failed")
    sock.close()


@case("halfclose-plugtcp-first-kernel-client")
def _(ctx):
    first, reply = pattern(64 * KiB), os.urandom(HALF)
    p = Plug(ctx, ["--listen", str(PORT), "--source", str(len(first))])
    s = k_connect()
    answer_after_eof(s, first, reply)
    c = p.conn()
    expect_bytes(c, sent=first, received=reply)
    check(c["final_state"] == "TIME-WAIT", "plugtcp (the active closer) ended in %s"
          % c["final_state"])


@case("halfclose-plugtcp-first-kernel-server")
def _(ctx):
    first, reply = pattern(64 * KiB), os.urandom(HALF)
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(len(first))])
    a = k_accept(ls)
    answer_after_eof(a, first, reply)
    c = p.conn()
    expect_bytes(c, sent=first, received=reply)
    check(c["final_state"] == "TIME-WAIT", "plugtcp (the active closer) ended in %s"
          % c["final_state"])


# --- who enters TIME-WAIT ------------------------------------------------------
# RFC 9293 §3.6: the side that sends the first FIN (the active closer)
# enters TIME-WAIT; the other goes through LAST-ACK to CLOSED.

def kernel_time_wait(local, peer):
    return (local, peer) in time_wait_sockets()


def kernel_gone(local, peer, timeout=2.0):
    deadline = time.monotonic() + timeout
    while kernel_sockets(local, peer):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@case("closeorder-plugtcp-first-kernel-client")
def _(ctx):
    data = pattern(KiB)
    p = Plug(ctx, ["--listen", str(PORT), "--source", str(len(data))])
    s = k_connect()
    local = "%s:%d" % s.getsockname()
    got, err = recv_all(s)
    s.close()
    kernel_got(got, data)
    c = p.conn()
    check(c["final_state"] == "TIME-WAIT", "plugtcp closed first but ended in %s"
          % c["final_state"])
    peer = "%s:%d" % (PADDR, PORT)
    check(kernel_gone(local, peer), "the kernel still holds %s after its LAST-ACK: %s"
          % (local, kernel_sockets(local, peer)))


@case("closeorder-kernel-first-kernel-client")
def _(ctx):
    data = os.urandom(KiB)
    p = Plug(ctx, ["--listen", str(PORT), "--sink"])
    s = k_connect()
    local = "%s:%d" % s.getsockname()
    check(send_all(s, data) is None, "the kernel's send failed")
    s.close()
    c = p.conn()
    expect_bytes(c, received=data)
    check(c["final_state"] == "CLOSED", "the kernel closed first but plugtcp ended in %s"
          % c["final_state"])
    check(kernel_time_wait(local, "%s:%d" % (PADDR, PORT)),
          "the kernel closed first but has no TIME-WAIT socket for %s: %s"
          % (local, time_wait_sockets()))


@case("closeorder-plugtcp-first-kernel-server")
def _(ctx):
    data = pattern(KiB)
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(len(data))])
    a = k_accept(ls)
    peer = "%s:%d" % a.getpeername()
    got, err = recv_all(a)
    a.close()
    kernel_got(got, data)
    c = p.conn()
    check(c["final_state"] == "TIME-WAIT", "plugtcp closed first but ended in %s"
          % c["final_state"])
    local = "%s:%d" % (KADDR, PORT)
    check(kernel_gone(local, peer), "the kernel still holds %s after its LAST-ACK: %s"
          % (peer, kernel_sockets(local, peer)))


@case("closeorder-kernel-first-kernel-server")
def _(ctx):
    data = os.urandom(KiB)
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--sink"])
    a = k_accept(ls)
    peer = "%s:%d" % a.getpeername()
    check(send_all(a, data) is None, "the kernel's send failed")
    a.close()
    c = p.conn()
    expect_bytes(c, received=data)
    check(c["final_state"] == "CLOSED", "the kernel closed first but plugtcp ended in %s"
          % c["final_state"])
    check(kernel_time_wait("%s:%d" % (KADDR, PORT), peer),
          "the kernel closed first but has no TIME-WAIT socket: %s" % time_wait_sockets())


# --- closed port: RST, ECONNREFUSED ------------------------------------------

@case("refused-kernel-client")
def _(ctx):
    p = Plug(ctx, ["--listen", str(PORT), "--sink"])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((PADDR, PORT + 1))
        raise Fail("the kernel connected to a port nobody listens on")
    except ConnectionRefusedError:
        pass
    except socket.timeout:
        raise Fail("no RST for a SYN to a closed port: the kernel's connect timed out")
    finally:
        s.close()
    # The stack goes on serving its own port.
    s = k_connect()
    s.close()
    c = p.conn()
    check(c["established"], "the listener did not work after the RST")


@case("refused-kernel-server")
def _(ctx):
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT + 1), "--sink"])
    c = p.conn(rc=1)
    check(not c["established"], "plugtcp connected to a port nobody listens on")
    check(c["error"] == "CONN_REFUSED", "plugtcp reports %s, not CONN_REFUSED" % c["error"])


# --- abort: RST, ECONNRESET ------------------------------------------------

def kernel_pushes_until_reset(sock):
    """Sends until the connection breaks; returns the errno."""
    chunk = os.urandom(64 * KiB)
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            sock.sendall(chunk)
        raise Fail("the kernel could send for 20 s: no RST arrived")
    except OSError as e:
        return e.errno


@case("abort-plugtcp-kernel-client")
def _(ctx):
    p = Plug(ctx, ["--listen", str(PORT), "--sink", "--abort-after", "64K"])
    s = k_connect()
    e = kernel_pushes_until_reset(s)
    s.close()
    check(e == errno.ECONNRESET, "the kernel's send failed with %s, not ECONNRESET"
          % errno.errorcode.get(e, e))
    c = p.conn()
    check(c["aborted"] and c["bytes_received"] >= 64 * KiB, "plugtcp did not abort")


@case("abort-plugtcp-kernel-server")
def _(ctx):
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--sink", "--abort-after", "64K"])
    a = k_accept(ls)
    e = kernel_pushes_until_reset(a)
    a.close()
    check(e == errno.ECONNRESET, "the kernel's send failed with %s, not ECONNRESET"
          % errno.errorcode.get(e, e))
    c = p.conn()
    check(c["aborted"], "plugtcp did not abort")


@case("abort-kernel-kernel-client")
def _(ctx):
    p = Plug(ctx, ["--listen", str(PORT), "--sink"])
    s = k_connect()
    check(send_all(s, os.urandom(64 * KiB)) is None, "the kernel's send failed")
    time.sleep(0.1)
    abortive_close(s)
    c = p.conn(rc=1)
    check(c["error"] == "CONN_RESET", "plugtcp reports %s, not CONN_RESET" % c["error"])
    check(c["final_state"] == "CLOSED", "plugtcp ended in %s" % c["final_state"])


@case("abort-kernel-kernel-server")
def _(ctx):
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(BULK)])
    a = k_accept(ls)
    got, err = recv_all(a, limit=256 * KiB)
    abortive_close(a)
    c = p.conn(rc=1)
    check(c["error"] == "CONN_RESET", "plugtcp reports %s, not CONN_RESET" % c["error"])


# --- impairments between the TUN and the stack --------------------------------

IMPAIR = ["--loss", "5%", "--dup", "2%", "--reorder", "5%", "--delay", "2ms",
          "--policy", "rto=rfc6298:min=20ms"]
LOSSY = 512 * KiB


def expect_impaired(j):
    imp = j["impairments"]
    for d in ("to_stack", "to_kernel"):
        check(imp[d]["lost"] > 0 and imp[d]["duplicated"] > 0 and imp[d]["reordered"] > 0,
              "the impairments did nothing %s: %s" % (d, imp[d]))


@case("impaired-kernel-client")
def _(ctx):
    data = os.urandom(LOSSY)
    p = Plug(ctx, ["--listen", str(PORT), "--echo"] + IMPAIR, timeout="100s")
    s = k_connect(timeout=60)
    tx = Thread(lambda: (send_all(s, data), s.shutdown(socket.SHUT_WR))[0])
    got, err = recv_all(s)
    check(tx.join(120) is None and err is None, "the kernel's socket failed")
    s.close()
    check(got == data, "the echo through the impaired path differs (%d of %d bytes)"
          % (len(got), len(data)))
    j = p.finish(timeout=120)
    expect_bytes(j["connections"][0], sent=data, received=data)
    expect_impaired(j)


@case("impaired-kernel-server")
def _(ctx):
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(LOSSY),
                   "--expect-echo"] + IMPAIR, timeout="100s")
    echo_server(ls)
    j = p.finish(timeout=120)
    c = j["connections"][0]
    check(c.get("echo_ok") is True, "plugtcp found the echo different")
    data = pattern(LOSSY)
    expect_bytes(c, sent=data, received=data)
    expect_impaired(j)


# --- option negotiation, seen on the wire -------------------------------------
# A packet socket on ptun0 records every packet the kernel sends into the
# TUN and takes out of it (the tap tcpdump uses), into a pcap file that
# tshark then decodes.  The socket is bound before the case starts, so
# the capture cannot miss the handshake, as a tshark started in the
# background could while it was still setting up on a loaded machine.
# The SYN and SYN-ACK must carry what each side offers and agrees to,
# and the segments after them only what was agreed.

ETH_P_ALL = 0x0003
LINKTYPE_RAW = 101


class Capture:
    def __init__(self, ctx):
        self.tshark = os.environ.get("TSHARK") or shutil.which("tshark")
        if not self.tshark or self.tshark == ":":
            raise Skip("tshark not found")
        self.path = os.path.join(ctx.tmp, "cap.pcap")
        self.env = dict(os.environ, HOME=ctx.tmp, LC_ALL="C")
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((DEV, 0))
        self.sock.settimeout(0.05)
        self.frames = []
        self.running = True
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            self.frames.append((time.time(), data))

    def packets(self):
        time.sleep(0.2)
        self.running = False
        self.t.join(5)
        self.sock.close()
        with open(self.path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW))
            for ts, data in self.frames:
                f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(data),
                                    len(data)))
                f.write(data)
        fields = ["ip.src", "tcp.flags.syn", "tcp.flags.ack", "tcp.len", "tcp.options.mss_val",
                  "tcp.options.wscale.shift", "tcp.options.sack_perm",
                  "tcp.options.timestamp.tsval", "tcp.options.sack_le", "tcp.flags.reset",
                  "tcp.flags.fin"]
        cmd = [self.tshark, "-n", "-r", self.path, "-Y", "tcp", "-T", "fields",
               "-E", "separator=|"]
        for f in fields:
            cmd += ["-e", f]
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.env)
        pkts = []
        for line in r.stdout.splitlines():
            v = line.split("|")
            if len(v) != len(fields):
                continue
            pkts.append({
                "src": v[0], "syn": v[1] in ("1", "True"), "ack": v[2] in ("1", "True"),
                "len": int(v[3] or 0), "mss": int(v[4]) if v[4] else None,
                "ws": int(v[5]) if v[5] else None, "sackp": v[6] != "", "ts": v[7] != "",
                "sack": v[8] != "", "rst": v[9] in ("1", "True"), "fin": v[10] in ("1", "True")})
        check(pkts, "tshark decoded no TCP segment from the %d packets captured on %s: %s"
              % (len(self.frames), DEV, r.stderr.strip()))
        return pkts


def syn_of(pkts, src, ack):
    for p in pkts:
        if p["src"] == src and p["syn"] and p["ack"] == ack:
            return p
    raise Fail("no %s from %s in the capture" % ("SYN-ACK" if ack else "SYN", src))


def set_kernel_options(on):
    for name in ("tcp_sack", "tcp_timestamps", "tcp_window_scaling"):
        with open("/proc/sys/net/ipv4/" + name, "w") as f:
            f.write("1" if on else "0")


def check_after_syn(pkts, src, ts, mss, who):
    segs = [p for p in pkts if p["src"] == src and not p["syn"] and not p["rst"]]
    check(segs, "no segments from %s after the handshake" % who)
    for p in segs:
        check(p["ts"] == ts, "%s %s timestamps after the handshake"
              % (who, "left out" if ts else "sent"))
        check(p["len"] <= mss, "%s sent %d bytes in one segment, above the MSS %d"
              % (who, p["len"], mss))


@case("options-all-kernel-client")
def _(ctx):
    cap = Capture(ctx)
    p = Plug(ctx, ["--listen", str(PORT), "--echo"])
    s = k_connect()
    info = tcp_info(s)
    data = os.urandom(256 * KiB)
    tx = Thread(lambda: (send_all(s, data), s.shutdown(socket.SHUT_WR))[0])
    got, _ = recv_all(s)
    tx.join()
    s.close()
    check(got == data, "echo differs")
    c = p.conn()
    pk = cap.packets()
    syn, synack = syn_of(pk, KADDR, False), syn_of(pk, PADDR, True)
    check(syn["mss"] and syn["ws"] is not None and syn["sackp"] and syn["ts"],
          "the kernel's SYN does not offer every option: %s" % syn)
    check(synack["mss"] == 1460 and synack["ws"] is not None and synack["sackp"]
          and synack["ts"], "plugtcp's SYN-ACK does not answer every option: %s" % synack)
    o = c["options"]
    check(synack["ws"] == o["rcv_wscale"] and syn["ws"] == o["snd_wscale"],
          "the window scales on the wire (%s, %s) are not plugtcp's (%d, %d)"
          % (syn["ws"], synack["ws"], o["snd_wscale"], o["rcv_wscale"]))
    expect_full_options(c, info)
    check_after_syn(pk, PADDR, True, 1448, "plugtcp")
    check_after_syn(pk, KADDR, True, 1448, "the kernel")


@case("options-none-kernel-client")
def _(ctx):
    set_kernel_options(False)
    cap = Capture(ctx)
    p = Plug(ctx, ["--listen", str(PORT), "--echo"])
    s = k_connect(maxseg=1000)
    info = tcp_info(s)
    data = os.urandom(256 * KiB)
    tx = Thread(lambda: (send_all(s, data), s.shutdown(socket.SHUT_WR))[0])
    got, _ = recv_all(s)
    tx.join()
    s.close()
    check(got == data, "echo differs")
    c = p.conn()
    pk = cap.packets()
    syn, synack = syn_of(pk, KADDR, False), syn_of(pk, PADDR, True)
    check(syn["mss"] == 1000 and syn["ws"] is None and not syn["sackp"] and not syn["ts"],
          "the kernel's SYN offers more than MSS 1000: %s" % syn)
    check(synack["mss"] and synack["ws"] is None and not synack["sackp"]
          and not synack["ts"], "plugtcp's SYN-ACK answers options never offered: %s"
          % synack)
    o = c["options"]
    check(not (o["wscale"] or o["sack"] or o["timestamps"]) and o["snd_mss"] == 1000,
          "plugtcp uses options the kernel did not offer: %s" % o)
    check(info["options"] & 7 == 0, "the kernel uses options (tcpi_options %#x)"
          % info["options"])
    check_after_syn(pk, PADDR, False, 1000, "plugtcp")
    check(any(q["len"] == 1000 for q in pk if q["src"] == PADDR),
          "plugtcp never sent a full 1000-byte segment")


@case("options-all-kernel-server")
def _(ctx):
    cap = Capture(ctx)
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(256 * KiB),
                   "--expect-echo", "--mss", "1200"])
    echo_server(ls)
    c = p.conn()
    pk = cap.packets()
    syn, synack = syn_of(pk, PADDR, False), syn_of(pk, KADDR, True)
    check(syn["mss"] == 1200 and syn["ws"] is not None and syn["sackp"] and syn["ts"],
          "plugtcp's SYN does not offer MSS 1200 and every option: %s" % syn)
    check(synack["ws"] is not None and synack["sackp"] and synack["ts"],
          "the kernel's SYN-ACK does not answer every option: %s" % synack)
    o = c["options"]
    check(o["wscale"] and o["sack"] and o["timestamps"], "plugtcp did not agree: %s" % o)
    check(syn["ws"] == o["rcv_wscale"] and synack["ws"] == o["snd_wscale"],
          "window scales on the wire differ from plugtcp's: %s" % o)
    check_after_syn(pk, PADDR, True, 1188, "plugtcp")
    check_after_syn(pk, KADDR, True, 1188, "the kernel")
    check(any(q["len"] == 1188 for q in pk if q["src"] == KADDR),
          "the kernel never filled plugtcp's MSS of 1200 (1188 with timestamps)")


@case("options-none-kernel-server")
def _(ctx):
    set_kernel_options(False)
    cap = Capture(ctx)
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(256 * KiB),
                   "--expect-echo"])
    echo_server(ls)
    c = p.conn()
    pk = cap.packets()
    syn, synack = syn_of(pk, PADDR, False), syn_of(pk, KADDR, True)
    check(syn["ws"] is not None and syn["sackp"] and syn["ts"],
          "plugtcp's SYN does not offer every option: %s" % syn)
    check(synack["ws"] is None and not synack["sackp"] and not synack["ts"],
          "the kernel's SYN-ACK answers options it was told not to: %s" % synack)
    o = c["options"]
    check(not (o["wscale"] or o["sack"] or o["timestamps"]) and o["snd_mss"] == 1460,
          "plugtcp uses options the kernel refused: %s" % o)
    check_after_syn(pk, PADDR, False, 1460, "plugtcp")


# --- soak: not run by make check --------------------------------------------

SOAK_SEQ, SOAK_PAR = 1000, 50


@case("soak-sequential-kernel-client")
def _(ctx):
    p = Plug(ctx, ["--listen", str(PORT), "--echo", "--count", str(SOAK_SEQ)],
             timeout="600s")
    for i in range(SOAK_SEQ):
        data = os.urandom(4 * KiB + i)
        s = k_connect()
        tx = Thread(lambda: (send_all(s, data), s.shutdown(socket.SHUT_WR))[0])
        got, err = recv_all(s)
        tx.join()
        s.close()
        check(got == data, "connection %d: the echo differs" % (i + 1))
    j = p.finish(timeout=60)
    check(len(j["connections"]) == SOAK_SEQ and j["totals"]["failed"] == 0,
          "plugtcp: %s" % problems(j))
    print("  %d connections, %d bytes each way, %.1f s, %d retransmissions"
          % (SOAK_SEQ, j["totals"]["bytes_received"], j["elapsed_s"],
             j["totals"]["retransmissions"]))


@case("soak-sequential-kernel-server")
def _(ctx):
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(4 * KiB),
                   "--expect-echo", "--count", str(SOAK_SEQ)], timeout="600s")
    srv = Thread(lambda: [echo_server(ls) for _ in range(SOAK_SEQ)])
    j = p.finish(timeout=600)
    srv.join(30)
    check(len(j["connections"]) == SOAK_SEQ and j["totals"]["failed"] == 0,
          "plugtcp: %s" % problems(j))
    check(all(c["echo_ok"] for c in j["connections"]), "an echo differs")
    print("  %d connections, %d bytes each way, %.1f s, %d retransmissions"
          % (SOAK_SEQ, j["totals"]["bytes_sent"], j["elapsed_s"],
             j["totals"]["retransmissions"]))


@case("soak-concurrent-kernel-client")
def _(ctx):
    p = Plug(ctx, ["--listen", str(PORT), "--echo", "--count", str(SOAK_PAR)],
             timeout="300s")
    start = threading.Barrier(SOAK_PAR)

    def one(i):
        data = os.urandom(256 * KiB + i)
        start.wait(20)
        s = k_connect(timeout=60)
        tx = Thread(lambda: (send_all(s, data), s.shutdown(socket.SHUT_WR))[0])
        got, err = recv_all(s)
        tx.join(120)
        s.close()
        return got == data
    ts = [Thread(lambda i=i: one(i)) for i in range(SOAK_PAR)]
    ok = [t.join(240) for t in ts]
    check(all(ok), "%d of %d echoes differ" % (ok.count(False), SOAK_PAR))
    j = p.finish(timeout=60)
    check(len(j["connections"]) == SOAK_PAR and j["totals"]["failed"] == 0,
          "plugtcp: %s" % problems(j))
    print("  %d concurrent connections, %d bytes each way, %.1f s, %d retransmissions"
          % (SOAK_PAR, j["totals"]["bytes_received"], j["elapsed_s"],
             j["totals"]["retransmissions"]))


@case("soak-concurrent-kernel-server")
def _(ctx):
    ls = k_listen()
    p = Plug(ctx, ["--connect", "%s:%d" % (KADDR, PORT), "--source", str(256 * KiB),
                   "--expect-echo", "--count", str(SOAK_PAR), "--parallel", str(SOAK_PAR)],
             timeout="300s")
    n = echo_server(ls, SOAK_PAR)
    j = p.finish(timeout=300)
    check(n == [256 * KiB] * SOAK_PAR, "the kernel echoed %s" % n)
    check(len(j["connections"]) == SOAK_PAR and j["totals"]["failed"] == 0,
          "plugtcp: %s" % problems(j))
    check(all(c["echo_ok"] for c in j["connections"]), "an echo differs")
    print("  %d concurrent connections, %d bytes each way, %.1f s, %d retransmissions"
          % (SOAK_PAR, j["totals"]["bytes_sent"], j["elapsed_s"],
             j["totals"]["retransmissions"]))


# ---------------------------------------------------------------------------
# Running a case inside its own network namespace

def netns_id():
    return os.readlink("/proc/self/ns/net")


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail("%s: %s" % (" ".join(cmd), r.stderr.strip()))


def run_inside(name, tun_bin):
    # Never touch a namespace we did not create: the parent's must differ.
    if netns_id() == os.environ.get("PTCP_INTEROP_PARENT_NETNS"):
        print("FAIL: %s: not in a private network namespace; refusing to run" % name)
        return 1
    ctx = Ctx(tun_bin)
    try:
        sh("ip", "link", "set", "lo", "up")
        # The kernel's IPv6 chatter (router solicitations, MLD) stays off the TUN.
        for conf in ("all", "default"):
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % conf, "w") as f:
                f.write("1")
        sh("ip", "tuntap", "add", "dev", DEV, "mode", "tun")
        sh("ip", "addr", "add", "%s/%s" % (KADDR, PREFIX), "dev", DEV)
        sh("ip", "link", "set", DEV, "up")
        CASES[name](ctx)
        return 0
    except Skip as e:
        print("SKIP: %s: %s" % (name, e))
        return SKIP
    except Fail as e:
        print("FAIL: %s: %s" % (name, e))
        return 1
    except Exception as e:  # a broken kernel-side socket, a missing tool, ...
        print("FAIL: %s: %s: %s" % (name, type(e).__name__, e))
        return 1
    finally:
        ctx.cleanup()
        subprocess.run(["ip", "link", "del", DEV], capture_output=True)


def groups():
    g = []
    for name in CASES:
        head = name.split("-")[0]
        if head not in g:
            g.append(head)
    return g


def select(args):
    names = []
    for a in args:
        if a == "all":
            names += [n for n in CASES if not n.startswith("soak-")]
        elif a in CASES:
            names.append(a)
        elif a in groups():
            names += [n for n in CASES if n.split("-")[0] == a]
        else:
            print("interop.py: no case or group '%s'; try --list" % a, file=sys.stderr)
            sys.exit(2)
    return names


def main(argv):
    tun_bin = os.environ.get("PLUGTCP_TUN") or os.path.join(
        os.environ.get("abs_top_builddir", os.path.join(HERE, "..", "..")),
        "tools", "plugtcp-tun")
    if len(argv) == 3 and argv[0] == "--in-netns":
        return run_inside(argv[1], argv[2])
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    if argv[0] == "--list":
        for g in groups():
            print("%s: %s" % (g, " ".join(n for n in CASES if n.split("-")[0] == g)))
        return 0
    names = select(argv)

    why = None
    if os.geteuid() != 0:
        why = "not root"
    elif not os.path.exists("/dev/net/tun"):
        why = "no /dev/net/tun"
    elif not shutil.which("unshare") or not shutil.which("ip") or not shutil.which("ss"):
        why = "unshare, ip or ss is missing"
    elif not os.access(tun_bin, os.X_OK):
        why = "%s is not built" % tun_bin
    if why is not None:
        print("SKIP: interop %s: %s" % (" ".join(argv), why))
        return SKIP

    env = dict(os.environ, PTCP_INTEROP_PARENT_NETNS=netns_id())
    failed = skipped = 0
    for name in names:
        t0 = time.monotonic()
        cmd = ["unshare", "-n", sys.executable, os.path.abspath(__file__), "--in-netns",
               name, tun_bin]
        # Its own session, so a hung case and everything it started can be killed.
        p = subprocess.Popen(cmd, env=env, start_new_session=True)
        try:
            rc = p.wait(timeout=900 if name.startswith("soak-") else 150)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            print("FAIL: %s: did not finish in time" % name)
            rc = 1
        dt = time.monotonic() - t0
        if rc == 0:
            print("PASS: %s (%.1f s)" % (name, dt))
        elif rc == SKIP:
            skipped += 1
        else:
            failed += 1
            if rc != 1:
                print("FAIL: %s: exit status %d" % (name, rc))
        sys.stdout.flush()
    if failed:
        return 1
    return SKIP if skipped == len(names) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
