# The same loop as bench/loop.ppdl, in CPython, for `make bench`.
s = 0
for i in range(10000000):
    s = (s + i*i) % 1000003
print(s)
