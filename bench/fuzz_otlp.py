"""Fuzz ``POST /v1/traces`` of a real ``spyglass serve`` with mutated OTLP bodies (issue 22).

Seeds are hostile-but-readable requests drawn from the Hypothesis strategies of
``tests/ingest/otlp_strategies.py`` (odd ids, extreme numbers, NaN/inf, wrong types, deep
values), encoded as protobuf and OTLP/JSON. Each body sent is one of: a seed as is; a byte
mutation of a protobuf or JSON seed (bit flips, truncation, inserted/deleted/duplicated byte
ranges — a duplicated range of protobuf is a duplicated field —, splices, varint soup,
sometimes gzipped); or a JSON seed with a wrong type or an out-of-range number put at a
random path. Several keep-alive connections send them, 10 s timeout per request (a timeout
is a hang). Every 1,000 bodies a known good span is posted and read back.

Goals: no 500, no 5xx at all, no hang, the server alive at the end, the good span visible
every time. Bodies that got a 5xx are saved under ``bench/out/fuzz_otlp/`` to replay.

    python -m bench.fuzz_otlp [--bodies 100000] [--connections 8] [--seed 0]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gzip
import random
import secrets
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson

from spyglass.testing.server import run_server

GOOD_EVERY = 1000
TIMEOUT_S = 10.0
SEED_REQUESTS = 120
OUT = Path(__file__).parent / "out" / "fuzz_otlp"

WRONG_VALUES: list[Any] = [
    None, 0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**30, 1e308, -1e308,
    0.5, "", "x", "NaN", "Infinity", "-Infinity", "18446744073709551616", "0" * 32, "zz" * 8, True, False,
    [], {}, [1, "a", None], {"intValue": "9" * 40}, {"doubleValue": "NaN"}, {"stringValue": 5},
    {"arrayValue": {"values": 7}}, {"kvlistValue": {"values": [{"key": 1}]}}, "\u0000\ud7ff\ue000",
]  # fmt: skip
INTERESTING_BYTES = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff" * 10 + b"\x01", b"\x0a\xff\xff\xff\xff\x0f"]


# --------------------------------------------------------------------------- seeds


def build_seeds(n: int, seed: int) -> tuple[list[bytes], list[Any]]:
    """(protobuf bodies, JSON documents) of ``n`` generated requests."""
    from hypothesis.errors import NonInteractiveExampleWarning

    from tests.ingest.otlp_strategies import (
        JsonStyle,
        otlp_requests,
        to_json_doc,
        to_proto_bytes,
        with_fresh_ids,
    )

    rng = random.Random(seed)
    strategy = otlp_requests(max_spans=4)
    protos: list[bytes] = []
    docs: list[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        for _ in range(n):
            req = with_fresh_ids(strategy.example(), rng)
            protos.append(to_proto_bytes(req))
            docs.append(to_json_doc(req, JsonStyle(seed=rng.getrandbits(32), upper_hex=rng.random() < 0.3)))
    return protos, docs


def _dumps(doc: Any) -> bytes:
    try:
        return orjson.dumps(doc)
    except (orjson.JSONEncodeError, TypeError):
        import json

        try:
            return json.dumps(doc).encode("utf-8", "surrogatepass")
        except (ValueError, RecursionError):
            return b"{}"


# --------------------------------------------------------------------------- mutators


def mutate_bytes(rng: random.Random, data: bytes, other: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        n = len(b)
        if n == 0:
            b += rng.randbytes(rng.randint(1, 16))
            continue
        i = rng.randrange(n)
        if op == 0:  # bit flips
            for _ in range(rng.randint(1, 8)):
                j = rng.randrange(n)
                b[j] ^= 1 << rng.randrange(8)
        elif op == 1:  # truncation
            del b[rng.randrange(n) :]
        elif op == 2:  # inserted bytes
            b[i:i] = rng.choice([rng.randbytes(rng.randint(1, 32)), rng.choice(INTERESTING_BYTES)])
        elif op == 3:  # deleted range
            del b[i : i + rng.randint(1, 64)]
        elif op == 4:  # duplicated range (a duplicated field in protobuf)
            j = min(n, i + rng.randint(1, 256))
            b[j:j] = b[i:j]
        elif op == 5:  # splice with another seed
            k = rng.randrange(len(other) + 1)
            b = b[:i] + bytearray(other[k:])
        elif op == 6:  # byte set to an interesting value
            b[i] = rng.choice([0, 0xFF, 0x7F, 0x80, 0x01])
        else:  # a digit changed (JSON numbers/lengths) or a byte incremented
            b[i] = (b[i] + rng.choice([1, -1, 9])) % 256
    return bytes(b)


def _paths(
    doc: Any, prefix: tuple[Any, ...] = (), out: list[tuple[Any, ...]] | None = None
) -> list[tuple[Any, ...]]:
    out = [] if out is None else out
    out.append(prefix)
    if isinstance(doc, dict):
        for k, v in doc.items():
            _paths(v, (*prefix, k), out)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            _paths(v, (*prefix, i), out)
    return out


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # integers beyond 64 bits
        import json

        return json.loads(data)


def mutate_json(rng: random.Random, data: bytes, paths: list[tuple[Any, ...]]) -> bytes:
    """A fresh copy of the document ``data`` with 1-3 values at random ``paths`` replaced by a
    wrong type or out-of-range number, deleted, duplicated or wrapped in a list."""
    doc = _loads(data)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        if not path:
            continue
        parent = doc
        try:
            for p in path[:-1]:
                parent = parent[p]
            last = path[-1]
            op = rng.randrange(4)
            if op == 0 or op == 1:  # wrong type / out-of-range number
                parent[last] = copy.deepcopy(rng.choice(WRONG_VALUES))
            elif op == 2:  # deleted
                del parent[last]
            elif isinstance(parent, list):  # duplicated element
                parent.insert(last, copy.deepcopy(parent[last]))
            else:
                parent[last] = [parent[last]]  # wrapped in a list
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation changed the shape under this path
    return _dumps(doc)


class BodyMaker:
    def __init__(self, protos: list[bytes], docs: list[Any], seed: int) -> None:
        self.protos, self.docs = protos, docs
        self.json_bytes = [_dumps(d) for d in docs]
        self.json_paths = [_paths(d) for d in docs]
        self.rng = random.Random(seed)

    def make(self) -> tuple[str, bytes, dict[str, str]]:
        """(kind, body, extra headers)."""
        rng = self.rng
        r = rng.random()
        headers: dict[str, str] = {}
        if r < 0.30:
            kind, ctype = "proto-bytes", "application/x-protobuf"
            body = mutate_bytes(rng, rng.choice(self.protos), rng.choice(self.protos))
        elif r < 0.50:
            kind, ctype = "json-bytes", "application/json"
            body = mutate_bytes(rng, rng.choice(self.json_bytes), rng.choice(self.json_bytes))
        elif r < 0.85:
            kind, ctype = "json-types", "application/json"
            i = rng.randrange(len(self.docs))
            body = mutate_json(rng, self.json_bytes[i], self.json_paths[i])
        elif r < 0.93:
            kind, ctype = "proto-seed", "application/x-protobuf"
            body = rng.choice(self.protos)
        else:
            kind, ctype = "json-seed", "application/json"
            body = rng.choice(self.json_bytes)
        if rng.random() < 0.1:
            body = gzip.compress(body, 1)
            if rng.random() < 0.3:
                body = mutate_bytes(rng, body, body)
            headers["content-encoding"] = "gzip"
            kind += "+gzip"
        headers["content-type"] = ctype
        return kind, body, headers


# --------------------------------------------------------------------------- the run


def _good_body() -> tuple[str, str, bytes]:
    from tests.ingest.otlp_strategies import good_span, single_request, to_proto_bytes

    span = good_span(name="fuzz-canary")
    trace_id, span_id = span.key()
    return trace_id, span_id, to_proto_bytes(single_request(span, service="fuzz-canary"))


async def _canary(client: httpx.AsyncClient, url: str, key: str) -> bool:
    trace_id, span_id, body = _good_body()
    try:
        resp = await client.post(
            f"{url}/v1/traces",
            content=body,
            headers={"x-api-key": key, "content-type": "application/x-protobuf"},
        )
        if resp.status_code != 200:
            return False
        for _ in range(50):
            got = await client.get(f"{url}/api/v1/traces/{trace_id}", headers={"x-api-key": key})
            if got.status_code == 200 and any(s["span_id"] == span_id for s in got.json()["spans"]):
                return True
            await asyncio.sleep(0.1)
    except httpx.HTTPError:
        return False
    return False


async def _run(url: str, key: str, maker: BodyMaker, bodies: int, connections: int) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    by_kind_5xx: Counter[str] = Counter()
    hangs = errors = canary_ok = canary_failed = 0
    sent = 0
    saved = 0
    lock = asyncio.Lock()
    OUT.mkdir(parents=True, exist_ok=True)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent, hangs, errors, canary_ok, canary_failed, saved
        while True:
            async with lock:
                if sent >= bodies:
                    return
                sent += 1
                n = sent
                kind, body, headers = maker.make()
            if n % GOOD_EVERY == 0:
                if await _canary(client, url, key):
                    canary_ok += 1
                else:
                    canary_failed += 1
            headers["x-api-key"] = key
            try:
                resp = await client.post(f"{url}/v1/traces", content=body, headers=headers)
            except httpx.TimeoutException:
                hangs += 1
                continue
            except httpx.HTTPError:
                errors += 1
                continue
            statuses[resp.status_code] += 1
            if resp.status_code >= 500:
                by_kind_5xx[kind] += 1
                if saved < 20:
                    saved += 1
                    suffix = "json" if "json" in headers["content-type"] else "pb"
                    (OUT / f"{resp.status_code}-{n}-{kind}.{suffix}").write_bytes(body)
                    (OUT / f"{resp.status_code}-{n}-{kind}.answer").write_bytes(resp.content[:2000])

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        seconds = time.perf_counter() - t0
        final_canary = await _canary(client, url, key)
    return {
        "statuses": statuses,
        "by_kind_5xx": by_kind_5xx,
        "hangs": hangs,
        "errors": errors,
        "canary_ok": canary_ok + int(final_canary),
        "canary_failed": canary_failed + int(not final_canary),
        "seconds": seconds,
    }


def _line(name: str, value: Any, goal: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("PASS" if ok else "MISS")
    print(f"  {name:<26} {value!s:>12}   goal {goal:<14} {verdict}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv if argv is not None else [])
    t = time.perf_counter()
    protos, docs = build_seeds(SEED_REQUESTS, args.seed)
    maker = BodyMaker(protos, docs, args.seed)
    print(
        f"built {len(protos)} seed requests in {time.perf_counter() - t:.1f}s; sending {args.bodies:,} bodies"
    )
    with (
        tempfile.TemporaryDirectory(prefix="spyglass-fuzz-") as tmp,
        run_server(Path(tmp) / "data", grpc=False, api_key="sg_" + secrets.token_urlsafe(24)) as server,
    ):
        result = asyncio.run(_run(server.url, server.api_key, maker, args.bodies, args.connections))
        alive = server.process is not None and server.process.poll() is None
        if alive:
            try:
                alive = httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
            except httpx.HTTPError:
                alive = False
        log_tail = (
            server.log_text()[-3000:]
            if (sum(c for s, c in result["statuses"].items() if s >= 500) or not alive)
            else ""
        )
    statuses: Counter[int] = result["statuses"]
    count = {
        "2xx": sum(c for s, c in statuses.items() if 200 <= s < 300),
        "4xx": sum(c for s, c in statuses.items() if 400 <= s < 500),
        "5xx": sum(c for s, c in statuses.items() if s >= 500),
        "500": statuses.get(500, 0),
    }
    seconds = result["seconds"]
    figures: dict[str, Any] = {
        "bodies": args.bodies,
        "status_2xx": count["2xx"],
        "status_4xx": count["4xx"],
        "status_5xx": count["5xx"],
        "status_500": count["500"],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "five_xx_by_kind": dict(result["by_kind_5xx"]),
        "hangs": result["hangs"],
        "connection_errors": result["errors"],
        "server_alive": alive,
        "good_span_checks": result["canary_ok"] + result["canary_failed"],
        "good_span_missing": result["canary_failed"],
        "bodies_per_s": round(args.bodies / seconds, 1),
        "seconds": round(seconds, 1),
    }
    print(
        f"fuzzed /v1/traces with {args.bodies:,} bodies over {args.connections} connections in {seconds:.1f}s"
    )
    _line("answers 2xx", count["2xx"], "", None)
    _line("answers 4xx", count["4xx"], "", None)
    _line("answers 500", count["500"], "0", count["500"] == 0)
    _line("answers 5xx", count["5xx"], "0", count["5xx"] == 0)
    _line("hangs (>10 s)", result["hangs"], "0", result["hangs"] == 0)
    _line("connection errors", result["errors"], "0", result["errors"] == 0)
    _line("server alive at the end", alive, "yes", alive)
    _line(
        "good span visible",
        f"{result['canary_ok']}/{figures['good_span_checks']}",
        "every time",
        result["canary_failed"] == 0,
    )
    _line("bodies/s", figures["bodies_per_s"], "", None)
    _line("seconds", figures["seconds"], "", None)
    print(f"  statuses: {figures['statuses']}")
    if figures["five_xx_by_kind"]:
        print(f"  5xx by body kind: {figures['five_xx_by_kind']}; bodies saved in {OUT}")
    if log_tail:
        print(f"--- server log (tail) ---\n{log_tail}")
    return figures


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
