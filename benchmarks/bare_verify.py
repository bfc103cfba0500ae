"""The bare minimum of signature checking on N cores, the twin of ``till.fiscal.signature_pool``:
a spawned process pool of bare ``public_key.verify`` calls on chunks of (PEM, digest, signature)
bytes, each PEM parsed once per worker. ``raw_verify`` (benchmarks/bench_verify.py) and the head-office
ingest benchmark compare the till with it on the same number of cores, so the ratio is honest.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Iterable, Iterator

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

_PREHASHED = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
_KEYS: dict[bytes, ec.EllipticCurvePublicKey] = {}

CHUNK = 1000


def verify_chunk(jobs: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    out = []
    for pem, digest, signature in jobs:
        key = _KEYS.get(pem)
        if key is None:
            key = _KEYS[pem] = serialization.load_pem_public_key(pem)
        try:
            key.verify(signature, digest, _PREHASHED)
            out.append(True)
        except InvalidSignature:
            out.append(False)
    return out


def pool(workers: int) -> ProcessPoolExecutor:
    """Started, and warmed up (each worker imported ``cryptography``), before any timing."""
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    list(executor.map(verify_chunk, [[] for _ in range(workers)]))
    return executor


def verdicts(executor: ProcessPoolExecutor | None, jobs: Iterable[tuple[bytes, bytes, bytes]],
             workers: int) -> Iterator[bool]:
    """The verdict of each job in order, at most ``2 * workers`` chunks in flight (in this process
    when ``executor`` is None)."""
    waiting: list[Future] = []
    chunk: list[tuple[bytes, bytes, bytes]] = []

    def send() -> Iterator[bool]:
        if executor is None:
            yield from verify_chunk(chunk)
            return
        waiting.append(executor.submit(verify_chunk, list(chunk)))
        while len(waiting) > 2 * workers:
            yield from waiting.pop(0).result()

    for job in jobs:
        chunk.append(job)
        if len(chunk) >= CHUNK:
            yield from send()
            chunk.clear()
    if chunk:
        yield from send()
    for future in waiting:
        yield from future.result()
