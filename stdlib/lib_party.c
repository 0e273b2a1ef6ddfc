/*
** lib_party.c — builtins about parties and the transcript: send (a plaintext copy to
** another party, recorded and flagged as a leak), view (what one party received),
** messages (the same as data), cost (messages, bytes and rounds per party and phase)
** and parties.  They only read the transcript that protocols write with tr_send().
*/
#include "lib.h"
#include <string.h>

/* Wire size of a value, for the transcript. */
static uint64_t value_bytes(Value v)
{
    switch (v.tag) {
    case V_NUM: return 8;
    case V_BOOL: return 1;
    case V_STR: return AS_STR(v)->len;
    case V_TENSOR: return AS_TENSOR(v)->size * sizeof(float);
    case V_LIST: {
        uint64_t s = 0;
        for (size_t i = 0; i < AS_LIST(v)->n; i++) s += value_bytes(AS_LIST(v)->v[i]);
        return s;
    }
    case V_REC: {
        uint64_t s = 0;
        for (size_t i = 0; i < AS_REC(v)->n; i++) s += value_bytes(AS_REC(v)->v[i]);
        return s;
    }
    case V_OBJ: return AS_USER(v)->cls->bytes ? AS_USER(v)->cls->bytes(AS_USER(v)->p) : 0;
    default: return 0;
    }
}

static Value b_send(Interp *I, Args *a)
{
    int to = 0;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, (const char *const[]){ "to", NULL }) ||
        !lib_kwparty(I, a, "to", &to)) return VERR;
    if (!to) return err_raise(I, "send needs a receiver: send(x, to = party)");
    Value x = a->v[0];
    int from = x.owner ? x.owner : I->cur_party;
    if (I->cur_party && x.owner && x.owner != I->cur_party)
        return err_raise(I, "%s cannot send a value that lives at %s", ev_party_name(I, I->cur_party),
                         ev_party_name(I, x.owner));
    if (x.tag == V_OBJ && AS_USER(x)->cls->send)    /* ciphertexts re-randomise, ... */
        return AS_USER(x)->cls->send(I, x, to);
    Sb d; sb_init(&d);
    bool secret = x.tag == V_OBJ;       /* ciphertexts and shares describe themselves */
    if (secret && AS_USER(x)->cls->show) AS_USER(x)->cls->show(I, AS_USER(x)->p, &d, 0);
    else val_show(I, x, &d, false);
    if (d.n > 120) { d.n = 117; d.s[117] = 0; sb_puts(&d, "..."); }
    const char *kind = x.tag == V_OBJ ? AS_USER(x)->cls->name : "plain";
    tr_send(&I->tr, from, to, kind, value_bytes(x), x.owner != 0 && x.tag != V_OBJ, d.s);
    sb_free(&d);
    tr_next_round(&I->tr);
    Value c = val_copy(x);
    c.owner = (uint16_t)to;
    return c;
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
        val_list_push(l, r);
    }
    return l;
}

static Value b_cost(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 0)) return VERR;
    Tr *t = &I->tr;
    Value rec = val_rec();
    fprintf(I->out, "cost: %zu message%s", t->n, t->n == 1 ? "" : "s");
    uint64_t total = 0;
    for (size_t i = 0; i < t->n; i++) total += t->msgs[i].bytes;
    uint32_t rounds = 0;
    for (size_t i = 0; i < t->n; i++) if (!i || t->msgs[i].round != t->msgs[i - 1].round) rounds++;
    fprintf(I->out, ", %llu bytes, %u round%s\n", (unsigned long long)total, rounds, rounds == 1 ? "" : "s");
    fprintf(I->out, "  %-12s %-10s %10s %12s %10s %12s %8s\n", "party", "phase", "sent", "bytes out",
            "received", "bytes in", "rounds");
    for (int p = 0; p <= I->nparties; p++) {
        for (size_t ph = 0; ph < (t->nphases ? t->nphases : 1) + 1; ph++) {
            const char *phase = ph == 0 ? "online" : t->nphases ? t->phases[ph - 1] : NULL;
            if (!phase || (ph > 0 && strcmp(phase, "online") == 0)) continue;
            TrTotals s = tr_totals(t, p, -1, phase), r = tr_totals(t, -1, p, phase);
            if (!s.msgs && !r.msgs) continue;
            fprintf(I->out, "  %-12s %-10s %10llu %12llu %10llu %12llu %8llu\n", ev_party_name(I, p), phase,
                    (unsigned long long)s.msgs, (unsigned long long)s.bytes, (unsigned long long)r.msgs,
                    (unsigned long long)r.bytes, (unsigned long long)s.rounds);
        }
    }
    val_rec_set(rec, sym_cstr(&I->syms, "messages"), VNUM((double)t->n));
    val_rec_set(rec, sym_cstr(&I->syms, "bytes"), VNUM((double)total));
    val_rec_set(rec, sym_cstr(&I->syms, "rounds"), VNUM(rounds));
    return rec;
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
     "Gives party `to` a plaintext copy of x. The message is recorded in the transcript and, when\n"
     "x is private data of another party, flagged as a leak in the receiver's view. Returns the copy,\n"
     "which lives at `to`.", "party alice, bob; x = 5 at alice; y = send(x, to = bob); view(bob)", LIB_ANYOWNER},
    {"view", b_view, "view(party)",
     "Prints every message the party received, in order: round, sender, kind, bytes and what it\n"
     "could see (ciphertext digests, masked values, or plaintext marked LEAK).",
     "party a, b; send(1 at a, to = b); view(b)", LIB_ANYOWNER | LIB_NARRATOR},
    {"messages", b_messages, "messages(party = all)",
     "The transcript as a list of records {from, to, kind, bytes, round, phase, leak}.",
     "party a, b; send(1 at a, to = b); print(len(messages(b)))", LIB_ANYOWNER | LIB_NARRATOR},
    {"cost", b_cost, "cost()",
     "Prints messages and bytes sent and received per party and phase (online/offline) from the\n"
     "transcript, with the number of rounds in which the party sent, and returns the totals as a\n"
     "record {messages, bytes, rounds}.", "c = cost(); print(c.messages)", LIB_ANYOWNER | LIB_NARRATOR},
    {"parties", b_parties, "parties()", "The declared parties, in order of declaration.",
     "party a, b; print(len(parties()))", LIB_ANYOWNER},
    {"owner", b_owner, "owner(x)", "The party x lives at, or none for a public value.",
     "party a; print(owner(1 at a))", LIB_ANYOWNER},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_party = { "party", fns, NULL };
