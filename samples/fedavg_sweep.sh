#!/bin/bash
# fedavg_sweep.sh METHOD LR SEED [MODEL] [INPUT] [SPLIT] [ROUNDS] [DECAY] — one run of the
# measurements behind samples/fedavg.ppdl and docs/federated.md ("FedAvg vs FedSGD"):
# Fashion-MNIST, 100 clients, C = 0.1, FedAvg with E = 5, B = 10 or FedSGD, stopping at
# the first round whose test accuracy reaches 80%.  Prints the rounds to 80% (or "none")
# and the accuracy after each round, in percent.
#   METHOD fedavg | fedsgd      LR the clients' learning rate      SEED seed(SEED)
#   MODEL  mlp64 (784-64-10, the sample's) | 2nn (784-200-200-10, the paper's)
#   INPUT  pixels (in [0, 1], the paper's) | standardized (normalize: per pixel)
#   SPLIT  noniid (2 label shards a client) | iid          ROUNDS the cap (default 100)
#   DECAY  lr_decay (default 1)
# e.g. samples/fedavg_sweep.sh fedsgd 0.2 2017 mlp64 pixels noniid 600
# Not part of make test (a run takes 10 s to a few minutes).
set -e
method=$1; lr=$2; sd=$3; net=${4:-mlp64}; input=${5:-pixels}; split=${6:-noniid}
rounds=${7:-100}; decay=${8:-1}
if [ -z "$sd" ]; then sed -n '2,13p' "$0" | cut -c3-; exit 2; fi
root=$(cd "$(dirname "$0")/.." && pwd)
case $net in
    mlp64) layers="dense(784, 64); relu; dense(64, 10); softmax" ;;
    2nn) layers="dense(784, 200); relu; dense(200, 200); relu; dense(200, 10); softmax" ;;
    *) echo "fedavg_sweep.sh: MODEL must be mlp64 or 2nn (got $net)" >&2; exit 2 ;;
esac
case $input in
    pixels) prep='tr = fashion_mnist("train"); te = fashion_mnist("test")' ;;
    standardized) prep='raw = fashion_mnist("train"); tr = normalize(raw); te = normalize(fashion_mnist("test"), like = raw)' ;;
    *) echo "fedavg_sweep.sh: INPUT must be pixels or standardized (got $input)" >&2; exit 2 ;;
esac
case $split in
    noniid) part='partition(tr, among = clients, shards = 2)' ;;
    iid) part='partition(tr, among = clients)' ;;
    *) echo "fedavg_sweep.sh: SPLIT must be noniid or iid (got $split)" >&2; exit 2 ;;
esac
case $method in
    fedavg) call="fedavg(net, clients, parts, server, test = te, rounds = $rounds, fraction = 0.1, epochs = 5, batch = 10, lr = $lr, lr_decay = $decay, target = 0.8)" ;;
    fedsgd) call="fedsgd(net, clients, parts, server, test = te, rounds = $rounds, fraction = 0.1, lr = $lr, lr_decay = $decay, target = 0.8)" ;;
    *) echo "fedavg_sweep.sh: METHOD must be fedavg or fedsgd (got $method)" >&2; exit 2 ;;
esac
script=$(mktemp /tmp/fedavg_sweep.XXXXXX.ppdl)
trap 'rm -f "$script"' EXIT
{
    echo 'import "federated"'
    printf 'party '; for i in $(seq 1 100); do printf 'c%d, ' "$i"; done; echo 'server'
    echo 'clients = parties()[0:100]'
    echo "network net { $layers }"
    echo "$prep"
    echo "seed($sd)"
    echo "parts = $part"
    echo "h = $call"
    echo 'line = ""'
    echo 'for a in observe(h.accuracy) { line = line + f" {a * 100:.1f}" }'
    echo 'print(f"rounds to 80%: {h.rounds_to_target}")'
    echo 'print(f"accuracy (%):{line}")'
} > "$script"
echo "$method lr=$lr seed=$sd model=$net input=$input split=$split lr_decay=$decay"
"$root/ppdl" "$script" 2> >(grep -v "^warning: seed" >&2)
