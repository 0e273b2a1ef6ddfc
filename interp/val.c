/*
** val.c — construction, display, equality, copying and freeing of values, and the
** cycle collector (see val.h).  Reference counting frees almost everything at once;
** the collector exists for the few cycles a program can build (a closure stored in the
** activation it captures, a list appended to itself) and runs between top-level
** statements, when the only roots are the globals.
*/
#include "val.h"
#include "mem.h"
#include "interp.h"
#include "ev.h"
#include "lib.h"
#include "dp.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The process's own heap, for values made before (or without) an interpreter. */
static ValHeap default_heap = { { 0, 0, 0, 0, -1, &default_heap.head, &default_heap.head }, 0, VAL_GC_STEP, 0 };
static ValHeap *cur_heap = &default_heap;   /* where new objects are linked (val_use_heap) */

void val_heap_init(ValHeap *h)
{
    h->head = (Obj){ 0, 0, 0, 0, -1, &h->head, &h->head };
    h->made = 0; h->budget = VAL_GC_STEP; h->store = 0;
}

void val_use_heap(ValHeap *h) { cur_heap = h ? h : &default_heap; }
ValHeap *val_heap(void) { return cur_heap; }

void val_gc_link(Obj *o, ObjType t)
{
    ValHeap *h = cur_heap;
    o->rc = 1; o->type = (uint8_t)t; o->mark = 0;
    o->party = h->store; o->origin = -1;
    o->gc_next = h->head.gc_next; o->gc_prev = &h->head;
    h->head.gc_next->gc_prev = o; h->head.gc_next = o;
    h->made++;
}

static void gc_unlink(Obj *o)
{
    o->gc_prev->gc_next = o->gc_next; o->gc_next->gc_prev = o->gc_prev;
}

size_t val_live_objects_of(const ValHeap *h)
{
    size_t n = 0;
    for (const Obj *o = h->head.gc_next; o != &h->head; o = o->gc_next) n++;
    return n;
}

size_t val_live_objects(void) { return val_live_objects_of(cur_heap); }

void val_heap_close(ValHeap *h)
{
    if (h == &default_heap) return;
    ValHeap *saved = cur_heap == h ? &default_heap : cur_heap;
    cur_heap = h;
    val_collect(NULL, 0, NULL, 0);
    if (h->head.gc_next != &h->head) {      /* still held (by the host): adopt them */
        Obj *first = h->head.gc_next, *last = h->head.gc_prev, *d = &default_heap.head;
        last->gc_next = d->gc_next; d->gc_next->gc_prev = last;
        d->gc_next = first; first->gc_prev = d;
        h->head.gc_next = h->head.gc_prev = &h->head;
    }
    cur_heap = saved;
}

Value val_str(const char *s, size_t n)
{
    ObjStr *o = xmalloc(sizeof *o + n + 1);
    val_gc_link(&o->h, O_STR);
    o->len = n; o->hash = 0;
    memcpy(o->s, s, n); o->s[n] = 0;
    return (Value){ .tag = V_STR, .as.o = &o->h };
}

Value val_cstr(const char *s) { return val_str(s, strlen(s)); }

Value val_str_take(char *s)
{
    Value v = val_cstr(s);
    free(s);
    return v;
}

Value val_list(size_t cap)
{
    ObjList *o = xmalloc(sizeof *o);
    val_gc_link(&o->h, O_LIST);
    o->n = 0; o->cap = cap; o->v = cap ? xmalloc(cap * sizeof *o->v) : NULL;
    return (Value){ .tag = V_LIST, .as.o = &o->h };
}

void val_list_push(Value list, Value item)
{
    ObjList *l = AS_LIST(list);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = item;
}

Value val_rec(void)
{
    ObjRec *o = xmalloc(sizeof *o);
    val_gc_link(&o->h, O_REC);
    o->n = o->cap = 0; o->k = NULL; o->v = NULL;
    return (Value){ .tag = V_REC, .as.o = &o->h };
}

Value *val_rec_get(Value rec, Sym *k)
{
    ObjRec *r = AS_REC(rec);
    for (size_t i = 0; i < r->n; i++) if (r->k[i] == k) return &r->v[i];
    return NULL;
}

void val_rec_set(Value rec, Sym *k, Value v)
{
    Value *slot = val_rec_get(rec, k);
    if (slot) { Value old = *slot; *slot = v; val_release(old); return; }
    ObjRec *r = AS_REC(rec);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->k = xrealloc(r->k, r->cap * sizeof *r->k);
        r->v = xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->k[r->n] = k; r->v[r->n] = v; r->n++;
}

Value val_range(double lo, double hi, double step)
{
    ObjRange *o = xmalloc(sizeof *o);
    val_gc_link(&o->h, O_RANGE);
    o->lo = lo; o->hi = hi; o->step = step;
    return (Value){ .tag = V_RANGE, .as.o = &o->h };
}

Value val_tensor(Tn *t)
{
    ObjTensor *o = xmalloc(sizeof *o);
    val_gc_link(&o->h, O_TENSOR);
    o->t = t;
    o->ledger = NULL;
    return (Value){ .tag = V_TENSOR, .as.o = &o->h };
}

void *val_ledger(Value v)
{
    if (v.tag == V_TENSOR) return ((ObjTensor *)v.as.o)->ledger;
    if (v.tag == V_OBJ && AS_USER(v)->cls->ledger && AS_USER(v)->p)
        return AS_USER(v)->cls->ledger(AS_USER(v)->p);
    return NULL;
}

static void inherit(Value v, Value src, int depth)
{
    if (src.tag == V_LIST) {            /* concat([d.x, ...]), tensor([d.x[0], ...]) */
        ObjList *l = AS_LIST(src);
        for (size_t i = 0; depth < TN_MAXDIM && i < l->n; i++)
            if (l->v[i].tag == V_TENSOR || l->v[i].tag == V_OBJ || l->v[i].tag == V_LIST)
                inherit(v, l->v[i], depth + 1);
        return;
    }
    void *from = val_ledger(src);
    if (!from) return;
    if (v.tag == V_TENSOR) {
        ObjTensor *o = (ObjTensor *)v.as.o;
        if (!o->ledger) o->ledger = dp_ledger_share(from);
        else dp_ledger_join(o->ledger, from);
    } else {
        void *own = val_ledger(v);
        if (own) dp_ledger_join(own, from);
    }
}

void val_inherit_ledger(Value v, Value src)
{
    if (v.tag == V_TENSOR || (v.tag == V_OBJ && AS_USER(v)->cls->ledger)) inherit(v, src, 0);
}

Value val_user(const VClass *cls, void *p)
{
    ObjUser *o = xmalloc(sizeof *o);
    val_gc_link(&o->h, O_USER);
    o->cls = cls; o->p = p;
    if (cls->distributed) o->h.party = 0;
    return (Value){ .tag = V_OBJ, .as.o = &o->h };
}

void *val_user_as(Value v, const VClass *cls)
{
    if (v.tag != V_OBJ || AS_USER(v)->cls != cls) return NULL;
    return AS_USER(v)->p;
}


/* ------------------------------------------------------------ stores ---------- */

void val_set_store(int party) { cur_heap->store = (uint16_t)party; }
int  val_store(void) { return cur_heap->store; }

typedef struct PlaceCtx { uint16_t party; int32_t origin; bool unmark, root; } PlaceCtx;

static void visit_children(Obj *o, void (*fn)(Value *v, void *ctx), void *ctx);

/* One walk sets the party and marks each object; a second clears the marks.  Lists and
** records are entered; a runtime kind is one object (what it refers to, such as a
** ciphertext's public scheme, stays where it is); code is public and not entered. */
static void place_one(Value *v, void *ctx)
{
    PlaceCtx *c = ctx;
    bool heap = IS_HEAP(*v) && v->tag != V_FUNC;
    if (heap && v->as.o->type != O_USER && v->as.o->type != O_STR && v->as.o->type != O_LIST &&
        v->as.o->type != O_REC && v->as.o->type != O_TENSOR && v->as.o->type != O_RANGE) return;
    if (heap && v->as.o->type == O_USER && AS_USER(*v)->cls->distributed) return;
    /* an item of another party inside keeps its party (ownership is per item) */
    bool root = c->root;
    c->root = false;
    if (!root && !c->unmark && c->origin < 0) {
        int p = v->owner ? v->owner : heap ? v->as.o->party : 0;
        if (p && p != c->party) return;
    }
    if (c->unmark) {
        if (heap && v->as.o->mark) {
            v->as.o->mark = 0;
            if (v->as.o->type == O_LIST || v->as.o->type == O_REC) visit_children(v->as.o, place_one, ctx);
        }
        return;
    }
    if (v->tag != V_FUNC && v->tag != V_PARTY && v->tag != V_BUILTIN && v->tag != V_NONE &&
        v->tag != V_ERR)
        v->owner = c->party;
    if (!heap || v->as.o->mark) return;
    Obj *o = v->as.o;
    /* an immutable object others share (a string literal) stays public: its contents are
       public already, and moving it would take it from the others */
    if ((o->type == O_STR || o->type == O_RANGE) && o->rc > 1 && o->party == 0) return;
    o->mark = 1; o->party = c->party; o->origin = c->origin;
    if (o->type == O_LIST || o->type == O_REC) visit_children(o, place_one, ctx);
}

void val_place(Value *v, int party, long msg)
{
    PlaceCtx c = { (uint16_t)party, (int32_t)(msg < 0 ? -1 : msg), false, true };
    place_one(v, &c);
    c.unmark = true;
    place_one(v, &c);
}

static int party_depth(Value v, int inherit, int *other, int depth)
{
    int p = v.owner ? v.owner : inherit;
    if (IS_HEAP(v) && v.as.o->party && v.as.o->party != p) {
        if (!p) p = v.as.o->party;
        else if (!*other) *other = v.as.o->party;
    }
    if (depth > 64 || (v.tag != V_LIST && v.tag != V_REC)) return p;
    size_t n = v.tag == V_LIST ? AS_LIST(v)->n : AS_REC(v)->n;
    Value *items = v.tag == V_LIST ? AS_LIST(v)->v : AS_REC(v)->v;
    for (size_t i = 0; i < n; i++) {
        Value it = items[i];
        if (!it.owner && !IS_HEAP(it)) continue;            /* public numbers, bools */
        int q = party_depth(it, p, other, depth + 1);
        if (q && q != p) {
            if (!p) p = q;
            else if (!*other) *other = q;
        }
    }
    return p;
}

int val_party(Value v, int *other)
{
    *other = 0;
    return party_depth(v, 0, other, 0);
}

static void clear_children(Obj *o)
{
    switch ((ObjType)o->type) {
    case O_LIST: {
        ObjList *l = (ObjList *)o;
        for (size_t i = 0; i < l->n; i++) val_release(l->v[i]);
        free(l->v); l->v = NULL; l->n = l->cap = 0;
        break;
    }
    case O_REC: {
        ObjRec *r = (ObjRec *)o;
        for (size_t i = 0; i < r->n; i++) val_release(r->v[i]);
        free(r->v); free(r->k); r->v = NULL; r->k = NULL; r->n = r->cap = 0;
        break;
    }
    case O_TENSOR:
        tn_free(((ObjTensor *)o)->t); ((ObjTensor *)o)->t = NULL;
        dp_ledger_free(((ObjTensor *)o)->ledger); ((ObjTensor *)o)->ledger = NULL;
        break;
    case O_USER: {
        ObjUser *u = (ObjUser *)o;
        if (u->p && u->cls->free) u->cls->free(u->p);
        u->p = NULL;
        break;
    }
    case O_FUNC: ev_free_func(o); break;
    case O_ENV: ev_free_env(o); break;
    case O_STR: case O_RANGE: break;
    }
}

void val_free_obj(Obj *o)
{
    gc_unlink(o);
    clear_children(o);
    free(o);
}

static void visit_children(Obj *o, void (*fn)(Value *v, void *ctx), void *ctx)
{
    switch ((ObjType)o->type) {
    case O_LIST: { ObjList *l = (ObjList *)o; for (size_t i = 0; i < l->n; i++) fn(&l->v[i], ctx); break; }
    case O_REC:  { ObjRec *r = (ObjRec *)o; for (size_t i = 0; i < r->n; i++) fn(&r->v[i], ctx); break; }
    case O_USER: { ObjUser *u = (ObjUser *)o; if (u->p && u->cls->visit) u->cls->visit(u->p, fn, ctx); break; }
    case O_FUNC: ev_visit_func(o, fn, ctx); break;
    case O_ENV:  ev_visit_env(o, fn, ctx); break;
    default: break;
    }
}

/* Mark with an explicit stack: deep structures must not overflow the C stack. */
typedef struct MarkStack { Obj **v; size_t n, cap; } MarkStack;

static void push_obj(MarkStack *s, Obj *o)
{
    if (!o || o->mark) return;
    o->mark = 1;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = o;
}

static void push_val(Value *v, void *ctx) { if (IS_HEAP(*v)) push_obj(ctx, v->as.o); }

size_t val_collect(Value *roots, size_t n, Obj **extra, size_t nextra)
{
    ValHeap *h = cur_heap;
    Obj *head = &h->head;
    MarkStack s = { NULL, 0, 0 };
    for (size_t i = 0; i < n; i++) push_val(&roots[i], &s);
    for (size_t i = 0; i < nextra; i++) push_obj(&s, extra[i]);
    while (s.n) visit_children(s.v[--s.n], push_val, &s);
    /* Unmarked objects are garbage held only by cycles: hold them, cut their edges,
       then drop the hold so each is freed exactly once. */
    size_t ng = 0, live = 0;
    for (Obj *o = head->gc_next; o != head; o = o->gc_next) if (!o->mark) ng++;
    Obj **g = ng ? xmalloc(ng * sizeof *g) : NULL;
    size_t k = 0;
    for (Obj *o = head->gc_next; o != head; o = o->gc_next) {
        if (!o->mark && k < ng) { g[k++] = o; o->rc++; }
        else live++;
        o->mark = 0;
    }
    for (size_t i = 0; i < k; i++) clear_children(g[i]);
    for (size_t i = 0; i < k; i++) if (--g[i]->rc == 0) { gc_unlink(g[i]); free(g[i]); }
    free(g); free(s.v);
    h->made = 0;
    h->budget = live + VAL_GC_STEP;
    return live;
}

const char *val_type_name(Value v)
{
    switch ((ValTag)v.tag) {
    case V_NONE: return "none";
    case V_BOOL: return "bool";
    case V_NUM: return "number";
    case V_PARTY: return "party";
    case V_BUILTIN: return "builtin";
    case V_STR: return "string";
    case V_LIST: return "list";
    case V_REC: return "record";
    case V_RANGE: return "range";
    case V_FUNC: return "function";
    case V_TENSOR: return "tensor";
    case V_OBJ: return AS_USER(v)->cls->name;
    case V_ERR: return "error";
    }
    return "?";
}

bool val_truthy(Value v)
{
    switch ((ValTag)v.tag) {
    case V_NONE: return false;
    case V_BOOL: return v.as.b;
    case V_NUM: return v.as.n != 0;
    case V_STR: return AS_STR(v)->len > 0;
    case V_LIST: return AS_LIST(v)->n > 0;
    case V_REC: return AS_REC(v)->n > 0;
    default: return true;
    }
}

bool val_equal(Value a, Value b)
{
    if (a.tag != b.tag) return false;
    switch ((ValTag)a.tag) {
    case V_NONE: return true;
    case V_BOOL: return a.as.b == b.as.b;
    case V_NUM: return a.as.n == b.as.n;
    case V_PARTY: return a.as.i == b.as.i;
    case V_BUILTIN: return a.as.fn == b.as.fn;
    case V_STR: return AS_STR(a)->len == AS_STR(b)->len &&
                       memcmp(AS_STR(a)->s, AS_STR(b)->s, AS_STR(a)->len) == 0;
    case V_LIST: {
        ObjList *x = AS_LIST(a), *y = AS_LIST(b);
        if (x->n != y->n) return false;
        for (size_t i = 0; i < x->n; i++) if (!val_equal(x->v[i], y->v[i])) return false;
        return true;
    }
    case V_REC: {
        ObjRec *x = AS_REC(a), *y = AS_REC(b);
        if (x->n != y->n) return false;
        for (size_t i = 0; i < x->n; i++) {
            Value *w = val_rec_get(b, x->k[i]);
            if (!w || !val_equal(x->v[i], *w)) return false;
        }
        return true;
    }
    case V_RANGE: return AS_RANGE(a)->lo == AS_RANGE(b)->lo && AS_RANGE(a)->hi == AS_RANGE(b)->hi &&
                         AS_RANGE(a)->step == AS_RANGE(b)->step;
    case V_TENSOR: {
        Tn *x = AS_TENSOR(a), *y = AS_TENSOR(b);
        if (x->ndim != y->ndim || x->size != y->size) return false;
        for (int i = 0; i < x->ndim; i++) if (x->shape[i] != y->shape[i]) return false;
        return memcmp(x->data, y->data, x->size * sizeof(float)) == 0;
    }
    default: return a.as.o == b.as.o;
    }
}

static void show_str_quoted(Sb *out, const ObjStr *s)
{
    sb_putc(out, '"');
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->s[i];
        switch (c) {
        case '"': sb_puts(out, "\\\""); break;
        case '\\': sb_puts(out, "\\\\"); break;
        case '\n': sb_puts(out, "\\n"); break;
        case '\t': sb_puts(out, "\\t"); break;
        case '\r': sb_puts(out, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7f) sb_printf(out, "\\x%02x", c);
            else sb_putc(out, (char)c);
        }
    }
    sb_putc(out, '"');
}

/* at: the party whose data the enclosing display is (0: public), or -1 for no labels;
** a value at another party is followed by " (at party)", its contents shown as that
** party's. */
static void show_depth(Interp *I, Value v, Sb *out, bool raw, int depth, int at)
{
    if (depth > 20) { sb_puts(out, "..."); return; }
    int own = at >= 0 ? val_owner(v) : 0;
    if (own && own != at) {
        show_depth(I, v, out, raw, depth, own);
        sb_printf(out, " (at %s)", I ? ev_party_name(I, own) : "?");
        return;
    }
    switch ((ValTag)v.tag) {
    case V_NONE: sb_puts(out, "none"); break;
    case V_BOOL: sb_puts(out, v.as.b ? "true" : "false"); break;
    case V_NUM: sb_num(out, v.as.n); break;
    case V_PARTY: sb_printf(out, "<party %s>", I ? ev_party_name(I, (int)v.as.i) : "?"); break;
    case V_BUILTIN: sb_printf(out, "<builtin %s>", v.as.fn->name); break;
    case V_STR:
        if (raw) sb_put(out, AS_STR(v)->s, AS_STR(v)->len);
        else show_str_quoted(out, AS_STR(v));
        break;
    case V_LIST: {
        ObjList *l = AS_LIST(v);
        sb_putc(out, '[');
        for (size_t i = 0; i < l->n; i++) {
            if (i) sb_puts(out, ", ");
            if (i >= 100) { sb_printf(out, "... (%zu more)", l->n - i); break; }
            show_depth(I, l->v[i], out, false, depth + 1, at);
        }
        sb_putc(out, ']');
        break;
    }
    case V_REC: {
        ObjRec *r = AS_REC(v);
        sb_putc(out, '{');
        for (size_t i = 0; i < r->n; i++) {
            if (i) sb_puts(out, ", ");
            sb_printf(out, "%s = ", r->k[i]->name);
            show_depth(I, r->v[i], out, false, depth + 1, at);
        }
        sb_putc(out, '}');
        break;
    }
    case V_RANGE: {
        ObjRange *r = AS_RANGE(v);
        sb_num(out, r->lo); sb_puts(out, ".."); sb_num(out, r->hi);
        break;
    }
    case V_FUNC: sb_printf(out, "<fn %s>", ev_func_name(v.as.o)); break;
    case V_TENSOR:
        if (I && I->tagclass[V_TENSOR] && I->tagclass[V_TENSOR]->show)
            I->tagclass[V_TENSOR]->show(I, AS_TENSOR(v), out, 0);
        else {                                  /* no tensor module: the shape only */
            Tn *t = AS_TENSOR(v);
            sb_puts(out, "tensor(shape [");
            for (int i = 0; i < t->ndim; i++) sb_printf(out, "%s%d", i ? ", " : "", t->shape[i]);
            sb_puts(out, "])");
        }
        break;
    case V_OBJ: {
        ObjUser *u = AS_USER(v);
        if (u->cls->show) u->cls->show(I, u->p, out, 0);
        else sb_printf(out, "<%s>", u->cls->name);
        break;
    }
    case V_ERR: sb_puts(out, "<error>"); break;
    }
}

void val_show(Interp *I, Value v, Sb *out, bool raw) { show_depth(I, v, out, raw, 0, -1); }

void val_show_seen(Interp *I, Value v, Sb *out, bool raw, int at)
{
    show_depth(I, v, out, raw, 0, I && I->cur_party ? -1 : at);
}

Value val_copy(Value v)
{
    switch ((ValTag)v.tag) {
    case V_LIST: {
        ObjList *l = AS_LIST(v);
        Value c = val_list(l->n);
        for (size_t i = 0; i < l->n; i++) val_list_push(c, val_copy(l->v[i]));
        c.owner = v.owner;
        return c;
    }
    case V_REC: {
        ObjRec *r = AS_REC(v);
        Value c = val_rec();
        for (size_t i = 0; i < r->n; i++) val_rec_set(c, r->k[i], val_copy(r->v[i]));
        c.owner = v.owner;
        return c;
    }
    case V_TENSOR: {
        Value c = val_tensor(tn_copy(AS_TENSOR(v)));
        c.owner = v.owner;
        val_inherit_ledger(c, v);
        return c;
    }
    default: return val_retain(v);
    }
}

