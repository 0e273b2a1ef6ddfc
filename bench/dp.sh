#!/bin/bash
# make bench-dp: seconds per epoch of DP-SGD against non-private training of the same
# MLP (784-128-10, batch 256, plain SGD, lr 0.1) on Fashion-MNIST's 60,000 training
# images, through ppdl scripts and train(..., dp = dpsgd(clip = 1, noise = 1.1)), and in
# the same run PyTorch doing the same two (bench/dp_torch.py: per-example gradients by
# functorch's vmap, clipped and noised as Opacus does, Poisson batches), one thread each.
# Two figures per configuration, because a shared machine makes wall time noisy:
#   wall  the fastest epoch of EPOCHS (default 3), from train()'s history (no loading);
#   cpu   user + system seconds per epoch: (cpu of 1 + EPOCHS epochs - cpu of 1) / EPOCHS
#         for ppdl; the process's CPU time around each epoch for PyTorch.
# and the test accuracy after the last epoch (DP-SGD's history keeps no training-set
# statistics).
# Ratios: each DP-SGD row against its own non-private row, then ppdl against PyTorch.
# Target: ppdl's DP-SGD <= 1.3x its non-private epoch.  Without python3-torch the
# PyTorch rows say why they are missing.
set -e
ppdl=${1:-./ppdl}
epochs=${EPOCHS:-3}
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PPDL_THREADS=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
command -v bc >/dev/null || tools/deps.sh bc

script() {   # $1: dp = argument ("none": non-private), $2: epochs
  cat <<PPDL
d = fashion_mnist("train")
network mlp {
    dense(784, 128)
    relu
    dense(128, 10)
    softmax
}
m = model(mlp)
h = train(m, d, epochs = $2, lr = 0.1, batch = 256, dp = $1, verbose = false)
print(format(min(h.seconds), ".3f"), format(accuracy(m, fashion_mnist("test")), ".3f"))
PPDL
}

cpu_of() {   # runs a script, prints "cpu_seconds output"
  local TIMEFORMAT='%U %S' t out
  script "$1" "$2" >"$tmp/b.ppdl"
  { time "$ppdl" "$tmp/b.ppdl" >"$tmp/out"; } 2>"$tmp/time"
  t=$(tail -1 "$tmp/time" | awk '{ print $1 + $2 }')
  echo "$t $(cat "$tmp/out")"
}

measure() {  # $1: dp argument; prints "wall cpu accuracy"
  local c1 w1 a1 cn wn an
  read -r c1 w1 a1 < <(cpu_of "$1" 1)
  read -r cn wn an < <(cpu_of "$1" $((epochs + 1)))
  echo "$wn $(echo "($cn - $c1) / $epochs" | bc -l) $an"
}

read -r wp cp ap < <(measure none)
read -r wd cd ad < <(measure 'dpsgd(clip = 1.0, noise = 1.1, delta = 1e-5)')
read -r ws cs as < <(measure 'dpsgd(clip = 1.0, noise = 1.1, delta = 1e-5, sampling = "shuffle")')
py=/usr/bin/python3
[ -x "$py" ] || py=python3
torch_why=""
if ! "$py" -c 'import torch, functorch' 2>/dev/null; then
  tools/deps.sh python3-torch >/dev/null 2>&1 || true
  "$py" -c 'import torch, functorch' 2>/dev/null || torch_why="python3-torch (with functorch) is not installed"
fi
if [ -z "$torch_why" ]; then
  torch_version=$("$py" -c 'import torch; print(torch.__version__)')
  read -r _ _ tp_w tp_c tp_a < <("$py" bench/dp_torch.py "$epochs" none)
  read -r _ _ td_w td_c td_a < <("$py" bench/dp_torch.py "$epochs" dpsgd)
fi

printf 'Fashion-MNIST, MLP 784-128-10, batch 256, one thread; %d epochs (ppdl: after a first); %d cores, load %s\n' \
       "$epochs" "$(nproc --all)" "$(cut -d' ' -f1 /proc/loadavg)"
printf '                                      wall s/epoch  ratio   cpu s/epoch  ratio   test acc\n'
row() {  # name wall cpu acc base_wall base_cpu
  printf '  %-34s  %8.3f     %5.2f   %8.3f     %5.2f   %s\n' "$1" "$2" \
         "$(echo "$2 / $5" | bc -l)" "$3" "$(echo "$3 / $6" | bc -l)" "$4"; }
row "ppdl non-private" "$wp" "$cp" "$ap" "$wp" "$cp"
row "ppdl DP-SGD, Poisson batches" "$wd" "$cd" "$ad" "$wp" "$cp"
row "ppdl DP-SGD, shuffled batches" "$ws" "$cs" "$as" "$wp" "$cp"
if [ -z "$torch_why" ]; then
  row "PyTorch $torch_version non-private" "$tp_w" "$tp_c" "$tp_a" "$tp_w" "$tp_c"
  row "PyTorch DP-SGD (vmap), Poisson" "$td_w" "$td_c" "$td_a" "$tp_w" "$tp_c"
  printf '  ppdl / PyTorch, DP-SGD with Poisson batches: wall %.2f, cpu %.2f; non-private: wall %.2f, cpu %.2f\n' \
         "$(echo "$wd / $td_w" | bc -l)" "$(echo "$cd / $td_c" | bc -l)" \
         "$(echo "$wp / $tp_w" | bc -l)" "$(echo "$cp / $tp_c" | bc -l)"
else
  printf '  PyTorch: not measured: %s\n' "$torch_why"
fi
printf '  target: ppdl DP-SGD <= 1.30x its non-private epoch\n'
