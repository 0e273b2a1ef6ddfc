#!/bin/bash
# make bench-dp: seconds per epoch of DP-SGD against non-private training of the same
# MLP (784-128-10, batch 256, plain SGD, lr 0.1) on Fashion-MNIST's 60,000 training
# images, through ppdl scripts and train(..., dp = dpsgd(clip = 1, noise = 1.1)).
# Two figures per configuration, because a shared machine makes wall time noisy:
#   wall  the fastest epoch of EPOCHS (default 3), from train()'s history (no loading);
#   cpu   user + system seconds per epoch: (cpu of 1 + EPOCHS epochs - cpu of 1) / EPOCHS.
# Target: DP-SGD <= 1.3x the non-private epoch (Opacus is about 1.6x on CPU).
set -e
ppdl=${1:-./ppdl}
epochs=${EPOCHS:-3}
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
print(format(min(h.seconds), ".3f"), format(h.accuracy[$2 - 1], ".3f"))
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
printf 'Fashion-MNIST, MLP 784-128-10, batch 256; %d epochs after a first; %d cores, load %s\n' \
       "$epochs" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)"
printf '                            wall s/epoch  ratio   cpu s/epoch  ratio   train acc\n'
row() { printf '  %-24s  %8.3f     %5.2f   %8.3f     %5.2f   %s\n' "$1" "$2" \
        "$(echo "$2 / $wp" | bc -l)" "$3" "$(echo "$3 / $cp" | bc -l)" "$4"; }
row "non-private" "$wp" "$cp" "$ap"
row "DP-SGD, Poisson batches" "$wd" "$cd" "$ad"
row "DP-SGD, shuffled batches" "$ws" "$cs" "$as"
printf '  target: DP-SGD <= 1.30x non-private (Opacus: about 1.6x on CPU)\n'
