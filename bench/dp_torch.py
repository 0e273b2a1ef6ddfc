#!/usr/bin/env python3
"""PyTorch side of `make bench-dp`: the same MLP (784-128-10, ReLU, softmax
cross-entropy), batch 256, plain SGD with lr 0.1 on Fashion-MNIST's 60,000 training
images as bench/dp.sh runs through ppdl, trained without privacy and with DP-SGD done as
Opacus does it, on one thread:

  - per-example gradients by functorch's vmap over grad (functorch ships with Debian's
    python3-torch 1.13; torch.func is its name from PyTorch 2.0 on);
  - each example's gradient clipped to total L2 norm C with Opacus's factor
    min(1, C / (norm + 1e-6)), summed, N(0, (sigma C)^2) noise added to every
    coordinate, divided by the EXPECTED batch size q n (Opacus's "mean" reduction);
  - Poisson sampling: each example joins a step with probability q = batch / n, and an
    epoch is round(n / batch) steps (Opacus's DPDataLoader, and ppdl's default).

Usage: dp_torch.py EPOCHS MODE   (MODE: none or dpsgd).  Prints one line,
    torch MODE: WALL CPU ACC
with WALL the fastest epoch's wall seconds, CPU the mean process CPU seconds per epoch
and ACC the test accuracy after the last epoch.  Loading the data is not timed.
"""
import sys
import time

import torch
import torch.nn.functional as F
from functorch import grad, make_functional, vmap

from fmnist_torch import load, mlp

LR, BATCH, CLIP, SIGMA = 0.1, 256, 1.0, 1.1


def epoch_plain(model, opt, x, y):
    n, ok = x.shape[0], 0
    perm = torch.randperm(n)
    for i in range(0, n, BATCH):
        j = perm[i:i + BATCH]
        opt.zero_grad(set_to_none=True)
        out = model(x[j])
        F.cross_entropy(out, y[j]).backward()
        opt.step()
        ok += (out.argmax(1) == y[j]).sum().item()
    return ok / n


def dp_step_fn(fmodel):
    def loss_one(params, xi, yi):
        out = fmodel(params, xi.unsqueeze(0))
        return F.cross_entropy(out, yi.unsqueeze(0)), out
    return vmap(grad(loss_one, has_aux=True), in_dims=(None, 0, 0))


def epoch_dpsgd(fmodel, params, per_example, x, y):
    n = x.shape[0]
    q = BATCH / n
    steps, ok, seen = round(n / BATCH), 0, 0
    for _ in range(steps):
        j = (torch.rand(n) < q).nonzero().squeeze(1)          # Poisson sampling
        if j.numel() == 0:
            grads = [torch.zeros_like(p) for p in params]
        else:
            g, out = per_example(params, x[j], y[j])
            norms = torch.stack([gi.reshape(gi.shape[0], -1).norm(dim=1) for gi in g]).norm(dim=0)
            factor = (CLIP / (norms + 1e-6)).clamp(max=1.0)
            grads = [torch.einsum("i,i...->...", factor, gi) for gi in g]
            ok += (out.squeeze(1).argmax(1) == y[j]).sum().item()
            seen += j.numel()
        with torch.no_grad():
            for p, gs in zip(params, grads):
                noisy = gs + torch.normal(0.0, SIGMA * CLIP, size=gs.shape)
                p.sub_(LR * noisy / (q * n))
    return ok / max(seen, 1)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    mode = sys.argv[2] if len(sys.argv) > 2 else "dpsgd"
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x, y = load("train")
    xt, yt = load("t10k")
    model = mlp()
    if mode == "none":
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        run = lambda: epoch_plain(model, opt, x, y)
    else:
        fmodel, params = make_functional(model)
        params = tuple(p.detach() for p in params)
        per_example = dp_step_fn(fmodel)
        run = lambda: epoch_dpsgd(fmodel, params, per_example, x, y)
    walls, cpus = [], []
    for _ in range(epochs):
        w0, c0 = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    with torch.no_grad():
        out = model(xt) if mode == "none" else fmodel(params, xt)
        acc = (out.argmax(1) == yt).float().mean().item()
    print(f"torch {mode}: {min(walls):.3f} {sum(cpus) / len(cpus):.3f} {acc:.3f}")


if __name__ == "__main__":
    main()
