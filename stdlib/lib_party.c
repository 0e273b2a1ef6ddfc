/*
** lib_party.c — builtins about parties and the transcript: send and send_all (a value
** crosses to another party through the message layer: encoded, recorded with its real
** size, decoded into the receiver's own copy; a plaintext of private data is flagged as
** a leak), view (one party's inbox), messages (the same as data), cost (messages, bytes
** and rounds per party and phase) and parties.  They only read the transcript, which
** the message layer (runtime/message.c) alone writes.
*/
#include "lib.h"
#include "mem.h"
#include "lib_wire.h"
#include <stdlib.h>
#include <string.h>

/* The party a value is sent from: its own, or the party running the code. */
static bool sender(Interp *I, Value x, int *from)
{
    *from = x.owner ? x.owner : I->cur_party;
    if (I->cur_party && x.owner && x.owner != I->cur_party) {
        err_raise(I, "%s cannot send a value that lives at %s", ev_party_name(I, I->cur_party),
                  ev_party_name(I, x.owner));
        return false;
    }
    return true;
}

static Value b_send(Interp *I, Args *a)
{
    int to = 0, from;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, (const char *const[]){ "to", NULL }) ||
        !lib_kwparty(I, a, "to", &to)) return VERR;
    if (!to) return err_raise(I, "send needs a receiver: send(x, to = party)");
    if (!sender(I, a->v[0], &from)) return VERR;
    return lib_wire_send(I, a->v[0], from, to, true);
}

/* send_all(values, to = parties): values[i] to parties[i], all in one round. */
static Value b_send_all(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, (const char *const[]){ "to", NULL })) return VERR;
    Value *tv = lib_kw(a, "to");
    if (!IS_LIST(a->v[0])) return lib_bad(I, a, 0, "list");
    if (!tv) return err_raise(I, "send_all needs receivers: send_all([x1, x2], to = [p1, p2])");
    if (!IS_LIST(*tv)) return lib_badkw(I, a, "to", "list of parties");
    ObjList *xs = AS_LIST(a->v[0]), *ps = AS_LIST(*tv);
    if (xs->n != ps->n)
        return err_raise(I, "send_all: %zu value%s for %zu part%s (one value for each receiver)", xs->n,
                         xs->n == 1 ? "" : "s", ps->n, ps->n == 1 ? "y" : "ies");
    for (size_t i = 0; i < ps->n; i++)
        if (ps->v[i].tag != V_PARTY || ps->v[i].as.i == 0) return lib_badkw(I, a, "to", "list of parties");
    Value out = val_list(xs->n);
    msg_parallel_begin(&I->msg);
    for (size_t i = 0; i < xs->n; i++) {
        int from;
        Value x = xs->v[i];
        if (!x.owner && a->v[0].owner) x.owner = a->v[0].owner;    /* an item of a's list */
        Value c = sender(I, x, &from) ? lib_wire_send(I, x, from, (int)ps->v[i].as.i, true) : VERR;
        if (IS_ERR(c)) { msg_parallel_end(&I->msg); val_release(out); return VERR; }
        val_list_push(out, c);
    }
    msg_parallel_end(&I->msg);
    return out;
}

static void print_msg(Interp *I, const TrMsg *m, Sb *b)
{
    sb_printf(b, "  round %-4u %-10s -> %-10s %-12s %8llu B", m->round, ev_party_name(I, m->from),
              ev_party_name(I, m->to), m->kind, (unsigned long long)m->bytes);
    if (m->what) sb_printf(b, "  %s", m->what);
    if (m->leak) sb_printf(b, "   << LEAK: plaintext of %s's data", ev_party_name(I, m->from));
    sb_putc(b, '\n');
}

static Value b_view(Interp *I, Args *a)
{
    int p;
    if (!lib_arity(I, a, 1, 1) || !lib_party(I, a, 0, &p)) return VERR;
    Sb b; sb_init(&b);
    size_t n = 0, leaks = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < I->tr.n; i++) {
        const TrMsg *m = &I->tr.msgs[i];
        if (m->to != p) continue;
        print_msg(I, m, &b);
        n++; bytes += m->bytes; leaks += m->leak != 0;
    }
    fprintf(I->out, "view(%s): %zu message%s received, %llu bytes%s\n", ev_party_name(I, p), n,
            n == 1 ? "" : "s", (unsigned long long)bytes,
            leaks ? "" : n ? "; no plaintext of another party's data" : "");
    if (leaks) fprintf(I->out, "  %zu message%s carried another party's plaintext data\n", leaks, leaks == 1 ? "" : "s");
    fputs(b.s, I->out);
    sb_free(&b);
    return VNONE;
}

static Value b_messages(Interp *I, Args *a)
{
    int p = -1;
    if (!lib_arity(I, a, 0, 1)) return VERR;
    if (a->n == 1 && !lib_party(I, a, 0, &p)) return VERR;
    Value l = val_list(0);
    for (size_t i = 0; i < I->tr.n; i++) {
        const TrMsg *m = &I->tr.msgs[i];
        if (p >= 0 && m->to != p) continue;
        Value r = val_rec();
        val_rec_set(r, sym_cstr(&I->syms, "from"), VPARTY(m->from));
        val_rec_set(r, sym_cstr(&I->syms, "to"), VPARTY(m->to));
        val_rec_set(r, sym_cstr(&I->syms, "kind"), val_cstr(m->kind));
        val_rec_set(r, sym_cstr(&I->syms, "bytes"), VNUM((double)m->bytes));
        val_rec_set(r, sym_cstr(&I->syms, "round"), VNUM(m->round));
        val_rec_set(r, sym_cstr(&I->syms, "phase"), val_cstr(m->phase));
        val_rec_set(r, sym_cstr(&I->syms, "leak"), VBOOL(m->leak));
        val_rec_set(r, sym_cstr(&I->syms, "what"), val_cstr(m->what ? m->what : ""));
        val_list_push(l, r);
    }
    return l;
}

/* The value cost() returns: the table as it prints, and the totals as fields. */
typedef struct CostTable { char *text; size_t messages; uint64_t bytes; uint32_t rounds; } CostTable;

static void cost_free(void *p) { CostTable *c = p; free(c->text); free(c); }

static void cost_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I; (void)verbose;
    const CostTable *c = p;
    size_t n = strlen(c->text);
    sb_put(out, c->text, n && c->text[n - 1] == '\n' ? n - 1 : n);   /* print adds the newline */
}

static Value cost_field(Interp *I, Value self, Sym *name)
{
    const CostTable *c = AS_USER(self)->p;
    if (strcmp(name->name, "messages") == 0) return VNUM((double)c->messages);
    if (strcmp(name->name, "bytes") == 0) return VNUM((double)c->bytes);
    if (strcmp(name->name, "rounds") == 0) return VNUM(c->rounds);
    return err_raise(I, "a cost table has no field '%s' (it has: messages, bytes, rounds)", name->name);
}

static const VClass cost_class = { .name = "cost table", .free = cost_free, .show = cost_show,
                                   .field = cost_field };

/* cost(): printed when the call is a statement of its own, returned otherwise. */
static Value b_cost(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 0)) return VERR;
    Tr *t = &I->tr;
    Sb b; sb_init(&b);
    sb_printf(&b, "cost: %zu message%s", t->n, t->n == 1 ? "" : "s");
    uint64_t total = 0;
    for (size_t i = 0; i < t->n; i++) total += t->msgs[i].bytes;
    uint32_t rounds = tr_rounds(t);
    sb_printf(&b, ", %llu bytes, %u round%s\n", (unsigned long long)total, rounds, rounds == 1 ? "" : "s");
    sb_printf(&b, "  %-12s %-10s %10s %12s %10s %12s %8s\n", "party", "phase", "sent", "bytes out",
              "received", "bytes in", "rounds");
    for (int p = 0; p <= I->nparties; p++) {
        for (size_t ph = 0; ph < (t->nphases ? t->nphases : 1) + 1; ph++) {
            const char *phase = ph == 0 ? "online" : t->nphases ? t->phases[ph - 1] : NULL;
            if (!phase || (ph > 0 && strcmp(phase, "online") == 0)) continue;
            TrTotals s = tr_totals(t, p, -1, phase), r = tr_totals(t, -1, p, phase);
            if (!s.msgs && !r.msgs) continue;
            sb_printf(&b, "  %-12s %-10s %10llu %12llu %10llu %12llu %8llu\n", ev_party_name(I, p), phase,
                      (unsigned long long)s.msgs, (unsigned long long)s.bytes, (unsigned long long)r.msgs,
                      (unsigned long long)r.bytes, (unsigned long long)s.rounds);
        }
    }
    if (a->bare) {
        fwrite(b.s, 1, b.n, I->out);
        sb_free(&b);
        return VNONE;
    }
    CostTable *c = xmalloc(sizeof *c);
    *c = (CostTable){ sb_take(&b), t->n, total, rounds };
    return val_user(&cost_class, c);
}

static Value b_parties(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 0)) return VERR;
    Value l = val_list((size_t)I->nparties);
    for (int i = 1; i <= I->nparties; i++) val_list_push(l, VPARTY(i));
    return l;
}

static Value b_owner(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    return a->v[0].owner ? VPARTY(a->v[0].owner) : VNONE;
}

static const LibReg fns[] = {
    {"send", b_send, "send(x, to = party)",
     "Sends x to party `to` through the message layer: x (any kind but functions, with everything\n"
     "inside it) is encoded in the wire format, recorded in the transcript with its real size in one\n"
     "round of its own (inside parallel { } the sends share one round), and decoded into the\n"
     "receiver's own copy, which lives at `to` with all its items and is independent of x.\n"
     "Ciphertexts are re-randomised; a paillier scheme carries its private key only to a\n"
     "keyholder; shared values cannot be sent (reveal them). A plaintext of private data is\n"
     "flagged as a leak in the receiver's view.",
     "party alice, bob; x = 5 at alice; y = send(x, to = bob); view(bob)\n"
     "# -> view(bob): 1 message received, 25 bytes\n"
     "# ->   1 message carried another party's plaintext data\n"
     "# ->   round 1    alice      -> bob        plain              25 B  5   << LEAK: plaintext of alice's data", LIB_ANYOWNER},
    {"send_all", b_send_all, "send_all(values, to = parties)",
     "Sends values[i] to parties[i], all in one round (as sends inside parallel { } are). Returns\n"
     "the list of the receivers' copies.",
     "party a, b, c; xs = [1, 2] at a; got = send_all(xs, to = [b, c]); print(messages()[1].round)   # -> 1",
     LIB_ANYOWNER},
    {"view", b_view, "view(party)",
     "Prints every message the party received, in order: round, sender, kind, bytes and what it\n"
     "could see (ciphertext digests, masked values, or plaintext marked LEAK).",
     "party a, b; send(1 at a, to = b); view(b)\n"
     "# -> view(b): 1 message received, 25 bytes\n"
     "# ->   1 message carried another party's plaintext data\n"
     "# ->   round 1    a          -> b          plain              25 B  1   << LEAK: plaintext of a's data", LIB_ANYOWNER | LIB_NARRATOR},
    {"messages", b_messages, "messages(party = all)",
     "The transcript as a list of records {from, to, kind, bytes, round, phase, leak, what}; what\n"
     "is the description view prints (what the receiver could see).",
     "party a, b; send(1 at a, to = b); print(len(messages(b)))   # -> 1", LIB_ANYOWNER | LIB_NARRATOR},
    {"cost", b_cost, "cost()",
     "The table of messages and bytes sent and received per party and phase (online/offline) from\n"
     "the transcript, with the number of rounds in which each party sent.  As a statement of its own\n"
     "(`cost()`) it prints the table; `c = cost()` keeps it without printing: print(c) shows it and\n"
     "c.messages, c.bytes and c.rounds are the totals.",
     "party a, b; send(1 at a, to = b); c = cost(); print(c.messages, c.rounds); print(c)\n"
     "# -> 1 1\n"
     "# -> cost: 1 message, 25 bytes, 1 round\n"
     "# ->   party        phase            sent    bytes out   received     bytes in   rounds\n"
     "# ->   a            online              1           25          0            0        1\n"
     "# ->   b            online              0            0          1           25        0", LIB_ANYOWNER | LIB_NARRATOR},
    {"parties", b_parties, "parties()", "The declared parties, in order of declaration.",
     "party a, b; print(len(parties()))   # -> 2", LIB_ANYOWNER},
    {"owner", b_owner, "owner(x)", "The party x lives at, or none for a public value.",
     "party a; print(owner(1 at a))   # -> <party a>", LIB_ANYOWNER},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_party = { "party", fns, NULL };
