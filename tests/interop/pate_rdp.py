#!/usr/bin/env python3
"""pate_rdp.py - an independent evaluation of the data-dependent RDP of GNMax
(Papernot et al. 2018, "Scalable Private Learning with PATE": Proposition 7 and
Theorem 6, higher orders of Section B.3), written straight from the paper's formulas in
plain floating point (no log-space tricks), with mpmath-free standard library only.
tests/unit/test_rt_pate.c holds the numbers it prints; run it to regenerate them:

    python3 tests/interop/pate_rdp.py
"""
import math

# TF Privacy's orders, as runtime/dp_rdp.c
ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))


def q_bound(counts, sigma):
    """Proposition 7: q <= 1/2 sum_{i != i*} erfc((n_i* - n_i) / (2 sigma)), capped."""
    top = max(range(len(counts)), key=lambda i: (counts[i], -i))
    q = sum(0.5 * math.erfc((counts[top] - c) / (2 * sigma))
            for i, c in enumerate(counts) if i != top)
    return min(q, 1 - 1 / len(counts))


def rdp_dd(q, sigma, lam):
    """Theorem 6 for GNMax (eps_mu = mu / sigma^2), min with the data-independent bound."""
    di = lam / sigma ** 2
    mu2 = sigma * math.sqrt(math.log(1 / q))
    mu1 = mu2 + 1
    if not (mu2 > 1 and lam < mu1):
        return di
    e1, e2 = mu1 / sigma ** 2, mu2 / sigma ** 2
    cond = math.exp((mu2 - 1) * e2) / ((mu1 / (mu1 - 1)) * (mu2 / (mu2 - 1))) ** mu2
    if not (q <= cond and q * math.exp(e2) < 1):
        return di
    A = (1 - q) / (1 - (q * math.exp(e2)) ** ((mu2 - 1) / mu2))
    B = math.exp(e1) / q ** (1 / (mu1 - 1))
    s = math.log((1 - q) * A ** (lam - 1) + q * B ** (lam - 1)) / (lam - 1)
    return min(di, s)


def eps(rdp, delta):
    return min(r + math.log(1 / delta) / (o - 1) for r, o in zip(rdp, ORDERS))


if __name__ == "__main__":
    cases = [([100, 50, 50, 30, 20, 0, 0, 0, 0, 0], 40.0),
             ([45, 5, 0, 0, 0, 0, 0, 0, 0, 0], 5.0),
             ([200, 20, 10, 0, 0, 0, 0, 0, 0, 0], 20.0),
             ([240, 10, 0, 0, 0, 0, 0, 0, 0, 0], 40.0),
             ([40, 8, 2, 0, 0, 0, 0, 0, 0, 0], 6.0)]
    for counts, sigma in cases:
        q = q_bound(counts, sigma)
        print(f"counts {counts} sigma {sigma}: log q = {math.log(q)!r}")
        for lam in (2.0, 8.0, 20.0, 40.0):
            if lam in ORDERS:
                print(f"   rdp({lam}) = {rdp_dd(q, sigma, lam)!r}")
    # epsilon of 1000 identical queries at delta 1e-5
    counts, sigma = [45, 5, 0, 0, 0, 0, 0, 0, 0, 0], 5.0
    q = q_bound(counts, sigma)
    print("eps dd, 1000 x", counts, sigma, "=", repr(eps([1000 * rdp_dd(q, sigma, o) for o in ORDERS], 1e-5)))
    print("eps di GNMax sigma 40, 1000 queries =", repr(eps([1000 * o / 40.0 ** 2 for o in ORDERS], 1e-5)))
