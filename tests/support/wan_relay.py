#!/usr/bin/python3
"""A WAN's delay for the BCP test bed (docs/bcp.md): netem is not in this
kernel, so a one-way delay is this relay. It listens on LISTEN, connects each
client to TARGET, and forwards every chunk, both ways, DELAY_MS after it
arrived, in order. Rate limits stay with tc tbf (tools/testnet.sh wan).
On stdout, a line per chunk passed back to the client: "conn N back BYTES"
(BYTES so far on connection N), so a test can cut the WAN mid-transfer.

    wan_relay.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS
"""
import asyncio
import sys


async def pump(reader, writer, delay, report=None):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
            if report:
                report(len(data))
        writer.close()

    task = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await queue.put((asyncio.get_running_loop().time() + delay, data))
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def main():
    listen, target, delay_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
    lhost, lport = listen.rsplit(":", 1)
    thost, tport = target.rsplit(":", 1)

    count = [0]

    async def client(reader, writer):
        count[0] += 1
        conn, back = count[0], [0]

        def report(n):
            back[0] += n
            print(f"conn {conn} back {back[0]}", flush=True)

        try:
            treader, twriter = await asyncio.open_connection(thost, int(tport))
        except OSError:
            writer.close()
            return
        await asyncio.gather(pump(reader, twriter, delay_ms / 1000),
                             pump(treader, writer, delay_ms / 1000, report))

    server = await asyncio.start_server(client, lhost, int(lport))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 64)
    asyncio.run(main())
