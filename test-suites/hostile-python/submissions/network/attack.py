# Hostile: tries to reach the network every way an unprivileged process can: DNS, TCP and UDP to
# public addresses, the Docker bridge gateway, the cloud metadata address, IPv6, raw and packet
# sockets. With --network none and no capabilities every attempt must fail. Prints "blocked"
# when all failed, "ESCAPED: ..." for each that worked; what happened goes to stderr.
import os
import socket
import sys

escaped = []


def note(what, outcome):
    print(f"{what}: {outcome}", file=sys.stderr)


def attempt(what, fn):
    try:
        fn()
    except OSError as e:  # socket.gaierror and socket.timeout are OSErrors too
        note(what, f"failed ({e})")
        return
    note(what, "WORKED")
    escaped.append(what)


def tcp(host, port, family=socket.AF_INET):
    def go():
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(0.3)
            s.connect((host, port))
    return go


def udp(host, port):
    def go():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.3)
            s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01",
                     (host, port))
            s.recvfrom(512)
    return go


attempt("dns example.com", lambda: socket.getaddrinfo("example.com", 80))
attempt("dns host.docker.internal", lambda: socket.getaddrinfo("host.docker.internal", 80))
attempt("tcp 1.1.1.1:443", tcp("1.1.1.1", 443))
attempt("tcp 8.8.8.8:53", tcp("8.8.8.8", 53))
attempt("tcp 172.17.0.1:2375 (docker bridge gateway)", tcp("172.17.0.1", 2375))
attempt("tcp 172.17.0.1:5672 (broker on the host)", tcp("172.17.0.1", 5672))
attempt("tcp 169.254.169.254:80 (metadata)", tcp("169.254.169.254", 80))
attempt("tcp [2606:4700:4700::1111]:443", tcp("2606:4700:4700::1111", 443, socket.AF_INET6))
attempt("udp 8.8.8.8:53", udp("8.8.8.8", 53))
# The host's services on 127.0.0.1 are in another network namespace: nothing listens here.
attempt("tcp 127.0.0.1:55432 (PostgreSQL on the host)", tcp("127.0.0.1", 55432))
attempt("tcp 127.0.0.1:5672 (RabbitMQ on the host)", tcp("127.0.0.1", 5672))
attempt("raw socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close())
attempt("packet socket", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close())

interfaces = sorted(os.listdir("/sys/class/net"))
note("interfaces", interfaces)
if interfaces != ["lo"]:
    escaped.append(f"interfaces {interfaces}")
# Abstract unix sockets belong to the network namespace: the host's must not be listed here.
with open("/proc/net/unix") as f:
    sockets = [line.split()[-1] for line in f.readlines()[1:] if len(line.split()) > 7]
note("unix sockets", sockets)
if sockets:
    escaped.append(f"unix sockets {sockets}")

print("\n".join(f"ESCAPED: {e}" for e in escaped) if escaped else "blocked")
