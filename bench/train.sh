#!/bin/bash
# `make bench-train` (bench/train.sh ./ppdl): the Fashion-MNIST MLP 784-128-10 (ReLU,
# batch 128, plain SGD, lr 0.1, one thread) trained by ppdl (bench/fmnist_mlp_bench.ppdl)
# and by PyTorch (bench/train_torch.py, torch.set_num_threads(1)); prints seconds per
# epoch and test accuracy side by side, and the ratio ppdl / PyTorch (target <= 1.0).
# EPOCHS=n changes the number of epochs (default 10, as samples/fmnist_mlp.ppdl) and
# SEEDS="1 2 3" the seeds; the summary gives means over the seeds (one seed's accuracy
# varies by about a point).  Not part of `make test`.
set -e
ppdl=${1:-./ppdl}
epochs=${EPOCHS:-10}
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
seeds=${SEEDS:-1 2 3}
: >"$tmp/ppdl.txt"; : >"$tmp/torch.txt"
for seed in $seeds; do
  sed "s/^epochs = 3\$/epochs = $epochs/; s/^seed(42)\$/seed($seed)/" bench/fmnist_mlp_bench.ppdl > "$tmp/bench.ppdl"
  echo "== ppdl ($ppdl), seed $seed =="
  "$ppdl" "$tmp/bench.ppdl" 2>/dev/null | tee -a "$tmp/ppdl.txt" | grep '^ppdl:'
  echo "== PyTorch ($("$py" -c 'import torch; print(torch.__version__)'), 1 thread), seed $seed =="
  "$py" bench/train_torch.py "$epochs" "$seed" | tee -a "$tmp/torch.txt" | grep '^torch:'
done
# means over the seeds of seconds/epoch and final test accuracy
mean() { grep "^$1:" "$2" | sed 's/.*seconds\/epoch \([0-9.e-]*\), test accuracy \([0-9.]*\).*/\1 \2/' |
         awk '{ s += $1; a += $2; n++ } END { printf "%.3f %.4f\n", s / n, a / n }'; }
read -r ps pa < <(mean ppdl "$tmp/ppdl.txt")
read -r ts ta < <(mean torch "$tmp/torch.txt")
echo
echo "means over seeds $seeds, $epochs epochs each:"
printf '%-10s %14s %15s\n' "" "seconds/epoch" "test accuracy"
printf '%-10s %14s %15s\n' "ppdl" "$ps" "$pa"
printf '%-10s %14s %15s\n' "PyTorch" "$ts" "$ta"
awk -v p="$ps" -v t="$ts" 'BEGIN { printf "ratio ppdl / PyTorch: %.2f (target <= 1.00)\n", p / t }'
