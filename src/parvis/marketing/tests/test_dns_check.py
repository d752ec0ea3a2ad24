"""A sending domain's DNS checked over real DNS queries (UDP) against a small name server of the test's
own (dnspython): the DKIM record with Parvis's key, SPF, DMARC and its policy; no answer at all is said as
such (issue 22)."""

import socket
import threading

import dns.message
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from parvis.marketing import dns_check, services
from parvis.marketing.models import SendingDomain
from parvis.testing import login_staff, staff

pytestmark = pytest.mark.django_db


class NameServer:
    """Answers TXT questions from a dict on a UDP port of 127.0.0.1."""

    def __init__(self, records: dict[str, str]):
        self.records = {name.rstrip(".") + ".": value for name, value in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            answer = dns.message.make_response(query)
            question = query.question[0]
            value = self.records.get(question.name.to_text())
            if value is not None and question.rdtype == dns.rdatatype.TXT:
                answer.answer.append(dns.rrset.from_text(question.name, 300, "IN", "TXT", f'"{value}"'))
            self.sock.sendto(answer.to_wire(), peer)

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        return resolver


def test_the_domains_records_are_read_from_dns(organizer):
    domain = services.domain_add(campaign_owner={"organizer": organizer}, domain="club.example", actor=None)
    value = domain.dns_value
    server = NameServer(
        {
            domain.dns_name: value[:200] + '" "' + value[200:],  # a long record comes in several strings
            "club.example": "v=spf1 include:relay.example -all",
            "_dmarc.club.example": "v=DMARC1; p=quarantine; rua=mailto:dmarc@club.example",
        }
    )
    result = dns_check.check(domain, resolver=server.resolver())
    assert result == {
        "reachable": True,
        "dkim": True,
        "spf": True,
        "dmarc": True,
        "dmarc_policy": "quarantine",
    }
    server.sock.close()

    other = NameServer({domain.dns_name: "v=DKIM1; k=rsa; p=AAAA"})
    result = dns_check.check(domain, resolver=other.resolver())
    assert result == {"reachable": True, "dkim": False, "spf": False, "dmarc": False, "dmarc_policy": ""}
    other.sock.close()
    domain.refresh_from_db()
    assert domain.checked_at is not None and domain.check_result["dkim"] is False


def test_a_dns_out_of_reach_is_said_and_the_page_shows_it(organizer, client):
    domain = services.domain_add(campaign_owner={"organizer": organizer}, domain="club.example", actor=None)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # receives, never answers
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], silent.getsockname()[1]
    dns_check.TIMEOUT_S, saved = 0.5, dns_check.TIMEOUT_S
    try:
        assert dns_check.check(domain, resolver=resolver) == {"reachable": False}
    finally:
        dns_check.TIMEOUT_S = saved
        silent.close()
    login_staff(client, staff(organizer, "administrator"))
    page = client.get(f"/staff/o/{organizer.slug}/campagnes/domaines/").content.decode()
    assert "le DNS n&#x27;a pas pu être interrogé" in page or "le DNS n'a pas pu être interrogé" in page
    assert SendingDomain.objects.get().checked_at is not None
