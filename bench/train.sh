#!/bin/sh
# `make bench-train` (bench/train.sh ./ppdl): the Fashion-MNIST MLP 784-128-10 (ReLU,
# batch 128, plain SGD, lr 0.1, one thread) trained by ppdl (bench/fmnist_mlp_bench.ppdl)
# and by PyTorch (bench/train_torch.py, torch.set_num_threads(1)); prints seconds per
# epoch and test accuracy side by side, and the ratio ppdl / PyTorch (target <= 1.0).
# EPOCHS=n changes the number of epochs (default 3).  Not part of `make test`.
set -e
ppdl=${1:-./ppdl}
epochs=${EPOCHS:-3}
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  tools/deps.sh dataset-fashion-mnist
fi
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import torch' 2>/dev/null; then
  tools/deps.sh python3-torch libopenblas0-pthread
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PPDL_THREADS=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed "s/^epochs = 3\$/epochs = $epochs/" bench/fmnist_mlp_bench.ppdl > "$tmp/bench.ppdl"
echo "== ppdl ($ppdl) =="
"$ppdl" "$tmp/bench.ppdl" 2>/dev/null | tee "$tmp/ppdl.txt"
echo "== PyTorch ($("$py" -c 'import torch; print(torch.__version__)'), 1 thread) =="
"$py" bench/train_torch.py "$epochs" | tee "$tmp/torch.txt"
pl=$(grep '^ppdl:' "$tmp/ppdl.txt"); tl=$(grep '^torch:' "$tmp/torch.txt")
ps=$(echo "$pl" | sed 's/.*seconds\/epoch \([0-9.e-]*\).*/\1/'); pa=$(echo "$pl" | sed 's/.*test accuracy \([0-9.]*\).*/\1/')
ts=$(echo "$tl" | sed 's/.*seconds\/epoch \([0-9.e-]*\).*/\1/'); ta=$(echo "$tl" | sed 's/.*test accuracy \([0-9.]*\).*/\1/')
echo
printf '%-10s %14s %15s\n' "" "seconds/epoch" "test accuracy"
printf '%-10s %14s %15s\n' "ppdl" "$ps" "$pa"
printf '%-10s %14s %15s\n' "PyTorch" "$ts" "$ta"
awk -v p="$ps" -v t="$ts" 'BEGIN { printf "ratio ppdl / PyTorch: %.2f (target <= 1.00)\n", p / t }'
