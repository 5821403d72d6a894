"""A DNS server on loopback (dnslib) that answers TXT questions from a dict, for the domain
check: the tests never ask the internet. The `dns_zone` fixture (tests/conftest.py) starts
one on a free port and points settings.DNS_RESOLVERS at it; tests put records in
`zone.records`, or make it `silent`."""

import threading
from dataclasses import dataclass, field

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.dns import DNSError
from dnslib.server import BaseResolver, DNSLogger, DNSServer


@dataclass
class Zone:
    """TXT records by name ("_dmarc.bars-homes.com": ["v=DMARC1; p=none"]); questions seen."""

    records: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    silent: bool = False  # answer nothing (a dead resolver): the client times out
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Resolver(BaseResolver):
    def __init__(self, zone: Zone) -> None:
        self.zone = zone

    def resolve(self, request, handler):
        name = str(request.q.qname).rstrip(".").lower()
        with self.zone.lock:
            self.zone.asked.append(name)
            values = list(self.zone.records.get(name, []))
        if self.zone.silent:
            raise DNSError("silent")  # dnslib logs it (quietly) and sends nothing back
        reply = request.reply()
        if request.q.qtype == QTYPE.TXT and values:
            for value in values:
                data = value.encode()
                chunks = [data[i : i + 255] for i in range(0, len(data), 255)]
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=60))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def start(zone: Zone) -> DNSServer:
    quiet = DNSLogger(logf=lambda *args: None)
    server = DNSServer(_Resolver(zone), address="127.0.0.1", port=0, logger=quiet)
    server.start_thread()
    return server
