"""A real SMTP server for tests (aiosmtpd): every message it accepts becomes a file in a folder.

  python3 e2e/python/smtp_sink.py --dir DIR [--port 0] [--fail-first N]

Listens on 127.0.0.1 and, once ready, prints one line `smtp sink listening on 127.0.0.1:PORT`.
Each message is written as DIR/<counter>-<random>.eml (a temporary name first, then renamed, so a
reader never sees half a file), the envelope recipients in an `X-Envelope-To` header on top.
--fail-first N answers the first N DATA commands `451 4.3.0 try again later` (retries).
Mail helpers for tests: mailbox_dir.py.
"""
import argparse
import asyncio
import os
import re
import secrets

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder: str, fail_first: int):
        self.folder, self.fail_left = folder, fail_first
        numbers = [int(m.group(1)) for f in os.listdir(folder) if (m := re.match(r"(\d+)-.*\.eml$", f))]
        self.counter = max(numbers, default=0)

    async def handle_DATA(self, server, session, envelope):
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 try again later"
        self.counter += 1
        name = f"{self.counter:06d}-{secrets.token_hex(4)}.eml"
        head = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\nX-Envelope-From: {envelope.mail_from}\r\n"
        temp = os.path.join(self.folder, f".{name}.tmp")
        with open(temp, "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.replace(temp, os.path.join(self.folder, name))
        return "250 OK"


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fail-first", type=int, default=0)
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir, args.fail_first)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, enable_SMTPUTF8=True, hostname="smtp-sink"),
                                      "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"smtp sink listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
