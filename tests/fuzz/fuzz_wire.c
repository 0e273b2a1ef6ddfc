/*
** fuzz_wire.c — the libFuzzer target for the wire format: each input is one frame, read
** as a message from party a by an interpreter with four parties declared (so party and
** scheme payloads can name them).  Every kind's decoder runs: a frame must decode to a
** value or be refused with "malformed message from a: ...", never crash, leak or
** allocate beyond the frame's size.  Build and run with `make fuzz-wire` (an empty seed
** corpus: the envelope is found from the error messages' branches within seconds).
** The same bytes are also read as a stand-in's skeleton from another process
** (wire_flesh, interp/replica.c), capped at 1 MiB of zeros; a public byte string (ext
** WIRE_EXT_PUBLIC, a public key's modulus) passes through as it is, and must be a bin.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Interp *I;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!I) {
        I = ev_new();
        I->out = fopen("/dev/null", "w");
        I->errout = I->out;
        Source *s = src_new("fuzz", "party a, b, c, d", 16, 1);
        ev_run(I, s, false);
        src_release(s);
    }
    Value v = lib_wire_read(I, data, size, 1);
    if (IS_ERR(v)) {
        if (!I->err_msg || strncmp(I->err_msg, "malformed message from a: ", 26) != 0) abort();
        err_clear(I);
    } else val_release(v);
    WireR r;
    wire_r_init(&r, "a");
    size_t n;
    uint8_t *f = wire_flesh(&r, data, size, 1 << 20, &n);
    if (!f && !r.failed) abort();
    if (f) {
        Value w = lib_wire_read(I, f, n, 1);
        if (IS_ERR(w)) err_clear(I); else val_release(w);
        free(f);
    }
    wire_r_free(&r);
    return 0;
}
