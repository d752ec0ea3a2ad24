"""An SMTP server on loopback for the benchmarks, in a process of its own (aiosmtpd): it accepts every
message and writes one line per recipient, `address message-id`, to the file it is given; it writes out
what it holds and exits on SIGTERM.

Run: python bench/_smtp_sink.py PORT FILE
"""

import re
import signal
import sys

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)


class Keep:
    def __init__(self, out):
        self.out = out

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        """PIPELINING offered, as relays do (aiosmtpd reads pipelined commands in order but does not say so)."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        message_id = found.group(1).decode() if found else "-"
        for address in envelope.rcpt_tos:
            self.out.write(f"{address} {message_id}\n")
        return "250 OK"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    out = open(path, "w", buffering=1 << 20)  # noqa: SIM115 - closed on SIGTERM
    controller = Controller(Keep(out), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()

    def finish(*_args):
        controller.stop()
        out.flush()
        out.close()
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    print("ready", flush=True)
    signal.pause()


if __name__ == "__main__":
    main()
