"""The peer an operator might write instead of fleet: Python asyncio + aiohttp, 64 requests in
flight, GET then PUT per project. Reads the inventory CSV; prints nothing but failures."""
import asyncio
import csv
import json
import sys

import aiohttp

BODY = json.dumps({"default_encryption": "required", "default_codecs": ["OPUS", "G722", "PCMU"],
                   "default_ciphers": ["AEAD_AES_256_GCM_8"]})


async def one(session, semaphore, base, row):
    auth = aiohttp.BasicAuth(row["project_id"], row["token"])
    url = base.replace("{space}", row["space"]) + "/sip_profile"
    async with semaphore:
        async with session.get(url, auth=auth) as response:
            await response.read()
            if response.status != 200:
                return False
    async with semaphore:
        async with session.put(url, auth=auth, data=BODY, headers={"Content-Type": "application/json"}) as response:
            await response.read()
            return response.status in (200, 201)


async def run_all(path, base, concurrency, project):
    """Runs `project` for every row of the inventory, `concurrency` requests in flight."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        return await asyncio.gather(*(project(session, semaphore, base, row) for row in rows))


async def main(path, base, concurrency):
    results = await run_all(path, base, concurrency, one)
    failed = results.count(False)
    if failed:
        print(f"{failed} projects failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
