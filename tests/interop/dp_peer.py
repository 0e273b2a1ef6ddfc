#!/usr/bin/env python3
"""dp_peer.py ORDERS_FILE GRID_FILE — google's dp_accounting (the reference accountant) on
the grid ppdl's dp_accounting.sh gives it: one line "q sigma steps delta" a case; prints
"classic improved order" a line, from dp_accounting's RDP of the Poisson-subsampled
Gaussian at ppdl's orders: classic = min(rdp - log(delta) / (a - 1)) (Mironov 2017,
Proposition 3), improved and its order from dp_accounting's own compute_epsilon."""
import math
import sys

from dp_accounting import dp_event
from dp_accounting.rdp import rdp_privacy_accountant as rdp

orders = [float(x) for x in open(sys.argv[1]).read().replace(",", " ").split()]
for line in open(sys.argv[2]):
    if not line.strip():
        continue
    q, sigma, steps, delta = line.split()
    acc = rdp.RdpAccountant(orders=orders)
    acc.compose(dp_event.PoissonSampledDpEvent(float(q), dp_event.GaussianDpEvent(float(sigma))),
                int(steps))
    r = list(acc._rdp)
    classic = min(ri - math.log(float(delta)) / (a - 1) for a, ri in zip(orders, r))
    improved, order = rdp.compute_epsilon(orders, r, float(delta))
    print("%.12g %.12g %g" % (classic, improved, order))
