#!/usr/bin/env python3
"""PyTorch reference for `make bench-train`: the Fashion-MNIST MLP 784-128-10 (ReLU,
softmax cross-entropy), plain SGD, batch 128, one thread — the same model, data,
initialisation family and hyper-parameters as bench/fmnist_mlp_bench.ppdl.

The data is loaded once into tensors and each epoch indexes a fresh random permutation
(no DataLoader: that is the fastest idiomatic PyTorch loop, so the comparison is fair to
PyTorch).  Prints one line per epoch and a final summary line:
    torch: epochs E, seconds/epoch S, test accuracy A
"""
import sys
import time

import torch

from fmnist_torch import load, mlp


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    lr, batch = 0.1, 128
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    model = mlp()                   # He init before the ReLU, Xavier for the output (as ppdl)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    lossf = torch.nn.CrossEntropyLoss()
    n = xtr.shape[0]
    times = []
    acc = 0.0
    for e in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, batch):
            idx_ = perm[i:i + batch]
            xb, yb = xtr[idx_], ytr[idx_]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx_)
        dt = time.perf_counter() - t0
        times.append(dt)
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"torch epoch {e + 1}: {dt:.3f} s, train loss {total / n:.4f}, test accuracy {acc:.4f}",
              flush=True)
    print(f"torch: epochs {epochs}, seconds/epoch {sum(times) / len(times):.3f}, test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
