"""What bench/train_torch.py and bench/dp_torch.py share: Fashion-MNIST's IDX files
read into float tensors in [0, 1] and int64 labels (FMNIST_DIR, by default Debian's
dataset-fashion-mnist), and the MLP 784-128-10 initialised as ppdl's model() does it
(He normal before the ReLU, Xavier uniform for the output, zero biases).
"""
import gzip
import os
import struct

import numpy as np
import torch

DIR = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")


def idx(path):
    """The array in an IDX file (gzipped): images as rows of pixels, or labels."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols)
    return np.frombuffer(data, np.uint8, offset=8)


def load(prefix):
    """(x, y) of the split named prefix ("train" or "t10k")."""
    x = idx(os.path.join(DIR, prefix + "-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = idx(os.path.join(DIR, prefix + "-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def mlp():
    """The MLP 784-128-10 (ReLU; logits out), initialised as ppdl's model()."""
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    torch.nn.init.kaiming_normal_(model[0].weight, nonlinearity="relu")
    torch.nn.init.xavier_uniform_(model[2].weight)
    torch.nn.init.zeros_(model[0].bias)
    torch.nn.init.zeros_(model[2].bias)
    return model
