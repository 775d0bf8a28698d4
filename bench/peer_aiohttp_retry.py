"""The aiohttp peer as an operator would harden it against a rate limit: GET then PUT per project,
64 (or N) requests in flight, a 429 retried after its Retry-After (1 s without one), up to 20
times. Prints the failures and, on stdout, the number of 429s it was answered."""
import asyncio
import sys

import aiohttp

from peer_aiohttp import BODY, run_all

THROTTLED = 0


async def exchange(session, semaphore, method, url, auth, **kwargs):
    global THROTTLED
    for _ in range(20):
        async with semaphore:
            async with session.request(method, url, auth=auth, **kwargs) as response:
                await response.read()
                if response.status != 429:
                    return response.status
                THROTTLED += 1
                wait = float(response.headers.get("Retry-After", "1"))
        await asyncio.sleep(wait)
    return 429


async def one(session, semaphore, base, row):
    auth = aiohttp.BasicAuth(row["project_id"], row["token"])
    url = base.replace("{space}", row["space"]) + "/sip_profile"
    if await exchange(session, semaphore, "GET", url, auth) != 200:
        return False
    status = await exchange(session, semaphore, "PUT", url, auth, data=BODY, headers={"Content-Type": "application/json"})
    return status in (200, 201)


async def main(path, base, concurrency):
    results = await run_all(path, base, concurrency, one)
    print(f"{results.count(False)} failed, {THROTTLED} answered 429")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
