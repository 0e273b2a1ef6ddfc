#!/usr/bin/python3
"""CrypTen's side of `make bench-mpc`: one training step of the MLP 784-128-10 (ReLU,
softmax cross-entropy, plain SGD) at batch 128 on Fashion-MNIST, two parties as two OS
processes (crypten.mpc.run_multiprocess(world_size=2), Gloo over loopback TCP), the
trusted-first-party provider (CrypTen's default, "TFP") making the triples.

Timed: the step (forward, loss, backward, update) of each party, a median of REPS steps
after WARMUP, the slower party's figure reported; and the CPU time of a step, both
processes' (time.process_time, every thread of a process) added: the work, which a loaded
machine does not inflate as it does wall time.  Bytes: what each party SENDS in a step,
counted by wrapping the communicator's collectives on the party's own calls (Gloo's
two-party all_reduce sends the whole tensor once; a broadcast or scatter is sent by its
source; elements of 8 bytes), next to CrypTen's own statistic (cfg.communicator.verbose;
its docs: each party's count includes what it receives).

Settings that favour CrypTen, so that both sides do the same work as ppdl's step:
CrossEntropyLoss(skip_forward=True) (the gradient softmax - onehot needs no loss value,
and ppdl computes none) and update_parameters(lr, grad_threshold=None) (CrypTen's
default zeroes gradients above 100 with a comparison on every weight; ppdl has no such
step).  One torch thread a party (two parties on a 2-core machine).

Run with Debian's python3 and PYTHONPATH=$CRYPTEN_SRC.  Prints one line:
    crypten: seconds/step S (min M, max X), cpu/step U, bytes sent/party/step B, crypten stat C, rounds R, steps N
or, when CrypTen cannot run, a line starting "crypten: not measured:" and exit status 2.
"""
import gzip
import os
import statistics
import struct
import sys
import time

DIR = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")
WARMUP = int(os.environ.get("WARMUP", "2"))
REPS = int(os.environ.get("REPS", "5"))
BATCH = 128
LR = 0.1


def fail(why):
    print("crypten: not measured: " + why)
    sys.exit(2)


try:
    import torch
    import crypten
    import crypten.communicator as comm
except Exception as e:  # noqa: BLE001 - report whatever stops the import
    fail("cannot import CrypTen (%s: %s); PYTHONPATH=%s" % (type(e).__name__, e,
                                                          os.environ.get("PYTHONPATH", "")))


def first_batch():
    """The first BATCH training images (pixels / 255) and their labels, one-hot."""
    with gzip.open(os.path.join(DIR, "train-images-idx3-ubyte.gz"), "rb") as f:
        data = f.read(16 + BATCH * 784)
    magic, _, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x803 or rows * cols != 784:
        fail("%s: not an IDX image file" % DIR)
    x = torch.tensor(list(data[16:]), dtype=torch.float32).reshape(BATCH, 784) / 255.0
    with gzip.open(os.path.join(DIR, "train-labels-idx1-ubyte.gz"), "rb") as f:
        labels = f.read(8 + BATCH)[8:]
    y = torch.zeros(BATCH, 10)
    y[torch.arange(BATCH), torch.tensor(list(labels))] = 1
    return x, y


def count_sent(c, sent):
    """Wraps c's collectives: sent[0] += bytes this party sends."""
    rank, world = c.get_rank(), c.get_world_size()

    def nbytes(t):
        if isinstance(t, (list, tuple)):
            return sum(nbytes(u) for u in t)
        return t.nelement() * t.element_size()

    def wrap(name, count):
        orig = getattr(c, name)

        def call(*args, **kw):
            sent[0] += count(*args, **kw)
            return orig(*args, **kw)
        setattr(c, name, call)

    wrap("send", lambda t, dst: nbytes(t))
    wrap("isend", lambda t, dst: nbytes(t))
    wrap("scatter", lambda lst, src, *a, **k: sum(nbytes(t) for i, t in enumerate(lst) if i != rank)
         if src == rank else 0)
    wrap("reduce", lambda t, dst, *a, **k: nbytes(t) if dst != rank else 0)
    wrap("all_reduce", lambda t, *a, **k: nbytes(t) * 2 * (world - 1) // world)
    wrap("gather", lambda t, dst: nbytes(t) if dst != rank else 0)
    wrap("all_gather", lambda t: nbytes(t) * (world - 1))
    wrap("broadcast", lambda t, src, *a, **k: nbytes(t) * (world - 1) if src == rank else 0)


@crypten.mpc.run_multiprocess(world_size=2)
def party():
    torch.set_num_threads(1)
    crypten.cfg.communicator.verbose = True
    torch.manual_seed(1)
    x, y = first_batch()
    model = crypten.nn.Sequential(crypten.nn.Linear(784, 128), crypten.nn.ReLU(),
                                  crypten.nn.Linear(128, 10))
    model.encrypt()
    model.train()
    loss_fn = crypten.nn.CrossEntropyLoss(skip_forward=True)
    xe = crypten.cryptensor(x, src=0)       # party 0 holds the data
    ye = crypten.cryptensor(y, src=0)
    c = comm.get()
    sent = [0]
    count_sent(c, sent)
    times, cpus, sent_per, stat_per, rounds_per = [], [], [], [], []
    for i in range(WARMUP + REPS):
        c.reset_communication_stats()
        s0 = sent[0]
        t0, c0 = time.perf_counter(), time.process_time()
        out = model(xe)
        loss = loss_fn(out, ye)
        model.zero_grad()
        loss.backward()
        model.update_parameters(LR, grad_threshold=None)
        t, cpu = time.perf_counter() - t0, time.process_time() - c0
        if i >= WARMUP:
            cpus.append(cpu)
            st = c.get_communication_stats()
            times.append(t)
            sent_per.append(sent[0] - s0)
            stat_per.append(st["bytes"])
            rounds_per.append(st["rounds"])
    return {"times": times, "cpu": cpus, "sent": sent_per, "stat": stat_per, "rounds": rounds_per}


def main():
    if not os.path.exists(os.path.join(DIR, "train-images-idx3-ubyte.gz")):
        fail("no Fashion-MNIST at %s (set FMNIST_DIR)" % DIR)
    res = party()
    if not res or len(res) != 2 or any(r is None for r in res):
        fail("a CrypTen party failed (see the log above)")
    med = max(statistics.median(r["times"]) for r in res)       # the slower party
    lo = min(min(r["times"]) for r in res)
    hi = max(max(r["times"]) for r in res)
    sent = max(statistics.median(r["sent"]) for r in res)
    stat = max(statistics.median(r["stat"]) for r in res)
    rounds = max(statistics.median(r["rounds"]) for r in res)
    cpu = sum(statistics.median(r["cpu"]) for r in res)       # both processes' work
    print("crypten: seconds/step %.4f (min %.4f, max %.4f), cpu/step %.4f, bytes sent/party/step %d, "
          "crypten stat %d, rounds %d, steps %d" % (med, lo, hi, cpu, sent, stat, rounds, REPS))


if __name__ == "__main__":
    main()
