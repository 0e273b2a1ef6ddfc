/*
** ev_try.c — `try { ... } catch e { ... }`.  Errors do not jump: every expression and
** statement returns its status (VERR, XS_ERR) with the error pending in the Interp, and
** each construct on the way out has already restored what it changed (the party of an
** `on` block, a function's activation, a parallel section).  So catching is taking the
** pending error, turning it into a record and running the catch block.  It does not
** catch an interrupt (Ctrl-C stops the script or returns to the prompt, whatever the
** script says), nor `break`, `continue` or `return`, which pass through.
*/
#include "ev.h"
#include <string.h>

/* The pending error as a record: message, line, column and file of its location (none
** when the error has no location); clears the error. */
static Value take_error(Interp *I)
{
    Value r = val_rec();
    val_rec_set(r, sym_cstr(&I->syms, "message"), val_cstr(I->err_msg ? I->err_msg : "error"));
    Value line = VNONE, col = VNONE, file = VNONE;
    if (I->err_located && I->err_src) {
        int l, c;
        src_linecol(I->err_src, I->err_off, &l, &c);
        line = VNUM(l); col = VNUM(c);
        file = val_cstr(I->err_src->name);
    }
    val_rec_set(r, sym_cstr(&I->syms, "line"), line);
    val_rec_set(r, sym_cstr(&I->syms, "column"), col);
    val_rec_set(r, sym_cstr(&I->syms, "file"), file);
    err_clear(I);
    return r;
}

int ev_exec_try(Interp *I, Node *n)
{
    int st = ev_exec(I, n->b);
    if (st != XS_ERR) return st;
    /* an interrupt is not the script's to handle; one still pending (a crypto loop
       stopped without raising it through ev_interrupted) counts too */
    if (!I->err_set || I->err_interrupt || *I->interrupt) return XS_ERR;
    Value e = take_error(I);
    if (n->v.name) {
        if (!ev_store_name(I, n, e)) { ev_locate(I, n); return XS_ERR; }
    } else val_release(e);
    return ev_exec(I, n->c);
}
