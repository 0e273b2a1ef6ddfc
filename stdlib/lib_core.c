/*
** lib_core.c — the builtins every script uses: print, len, type, conversions, string
** formatting, list helpers, numeric math, help, seed and show.  Math builtins handle
** numbers and lists; a tensor argument is handed on to the tensor module's builtin of
** the same name (lib_forward).
*/
#include "lib.h"
#include "help.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static Value b_print(Interp *I, Args *a)
{
    Sb b; sb_init(&b);
    const char *sep = " ", *end = "\n";
    if (!lib_kwonly(I, a, (const char *const[]){ "sep", "end", NULL }) ||
        !lib_kwstr(I, a, "sep", &sep) || !lib_kwstr(I, a, "end", &end)) { sb_free(&b); return VERR; }
    for (int i = 0; i < a->n; i++) {
        if (i) sb_puts(&b, sep);
        val_show_seen(I, a->v[i], &b, true, 0);     /* the narrator sees where */
    }
    sb_puts(&b, end);
    fwrite(b.s, 1, b.n, I->out);
    sb_free(&b);
    return VNONE;
}

static Value b_len(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    Value v = a->v[0];
    switch (v.tag) {
    case V_STR: return VNUM((double)AS_STR(v)->len);
    case V_LIST: return VNUM((double)AS_LIST(v)->n);
    case V_REC: return VNUM((double)AS_REC(v)->n);
    case V_RANGE: return VNUM((double)ev_range_len(AS_RANGE(v)));
    case V_TENSOR: return VNUM(AS_TENSOR(v)->ndim ? AS_TENSOR(v)->shape[0] : 1);
    default: return lib_bad(I, a, 0, "string, list, record, range or tensor");
    }
}

static Value b_type(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    return val_cstr(val_type_name(a->v[0]));
}

static Value b_str(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    Sb b; sb_init(&b);
    val_show(I, a->v[0], &b, true);
    Value r = val_str(b.s, b.n);
    sb_free(&b);
    return r;
}

static Value b_num(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    Value v = a->v[0];
    if (v.tag == V_NUM) return v;
    if (v.tag == V_BOOL) return VNUM(v.as.b);
    if (v.tag == V_STR) {
        char *end;
        double x = strtod(AS_STR(v)->s, &end);
        while (*end == ' ' || *end == '\t') end++;
        if (end == AS_STR(v)->s || *end)
            return err_raise(I, "'%s' is not a number", AS_STR(v)->s);
        return VNUM(x);
    }
    return lib_bad(I, a, 0, "number, bool or string");
}

static Value b_format(Interp *I, Args *a)
{
    double x; const char *spec;
    if (!lib_arity(I, a, 2, 2) || !lib_num(I, a, 0, &x) || !lib_str(I, a, 1, &spec)) return VERR;
    size_t k = strspn(spec, "0123456789.+- #");
    char conv = spec[k];
    if (strlen(spec) > 20 || (conv && (spec[k + 1] || !strchr("fegd", conv))))
        return err_raise(I, "bad format '%s' (use e.g. \".3f\", \"8.2e\", \"d\")", spec);
    if (conv == 'd' && !(fabs(x) < 0x1p63))            /* (long long) of it would be undefined */
        return err_raise(I, "format '%s' needs a number within ±2^63 (got %g)", spec, isnan(x) ? NAN : x);
    char fmt[40];
    Sb b; sb_init(&b);
    if (conv == 'd') { snprintf(fmt, sizeof fmt, "%%%.*slld", (int)k, spec); sb_printf(&b, fmt, (long long)x); }
    else { snprintf(fmt, sizeof fmt, "%%%.*s%c", (int)k, spec, conv ? conv : 'g'); sb_printf(&b, fmt, x); }
    Value r = val_str(b.s, b.n);
    sb_free(&b);
    return r;
}

static Value b_append(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2)) return VERR;
    if (a->v[0].tag != V_LIST) return lib_bad(I, a, 0, "list");
    if (AS_LIST(a->v[0])->n >= (1u << 24)) return err_raise(I, "list too long (the limit is %u items)", 1u << 24);
    val_list_push(a->v[0], val_retain(a->v[1]));
    return VNONE;
}

static Value b_pop(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    if (a->v[0].tag != V_LIST) return lib_bad(I, a, 0, "list");
    ObjList *l = AS_LIST(a->v[0]);
    if (!l->n) return err_raise(I, "pop from an empty list");
    return l->v[--l->n];
}

static Value b_keys(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    if (a->v[0].tag != V_REC) return lib_bad(I, a, 0, "record");
    ObjRec *r = AS_REC(a->v[0]);
    Value l = val_list(r->n);
    for (size_t i = 0; i < r->n; i++) val_list_push(l, val_cstr(r->k[i]->name));
    return l;
}

static Value b_range(Interp *I, Args *a)
{
    double lo, hi, step = 1;
    if (!lib_arity(I, a, 2, 3) || !lib_num(I, a, 0, &lo) || !lib_num(I, a, 1, &hi)) return VERR;
    if (a->n == 3 && !lib_num(I, a, 2, &step)) return VERR;
    return ev_range(I, lo, hi, step);
}

/* Numbers and lists of numbers for the math builtins; tensors go to the next module. */
typedef double (*MathFn)(double);

static Value math1(Interp *I, Args *a, MathFn f, bool positive, bool nonneg)
{
    if (a->n > 1 || (a->n == 0 && !a->nkw)) { lib_arity(I, a, 1, 1); return VERR; }
    if (a->nkw || a->v[0].tag != V_NUM) return lib_bad(I, a, 0, "number");
    double x = a->v[0].as.n;
    if (positive && x <= 0) return err_raise(I, "%s of %g is undefined (needs a positive number)", a->fname, x);
    if (nonneg && x < 0) return err_raise(I, "%s of %g is undefined (needs a number >= 0)", a->fname, x);
    return VNUM(f(x));
}

static Value b_sqrt(Interp *I, Args *a) { return math1(I, a, sqrt, false, true); }
static Value b_exp(Interp *I, Args *a)  { return math1(I, a, exp, false, false); }
static Value b_log(Interp *I, Args *a)  { return math1(I, a, log, true, false); }
static Value b_abs(Interp *I, Args *a)  { return math1(I, a, fabs, false, false); }
static Value b_floor(Interp *I, Args *a){ return math1(I, a, floor, false, false); }
static Value b_ceil(Interp *I, Args *a) { return math1(I, a, ceil, false, false); }
static Value b_round(Interp *I, Args *a)
{
    if (a->n == 2) {
        double x, d;
        if (!lib_num(I, a, 0, &x) || !lib_num(I, a, 1, &d)) return VERR;
        double p = pow(10, d);
        return VNUM(round(x * p) / p);
    }
    return math1(I, a, round, false, false);
}
static Value b_sin(Interp *I, Args *a)  { return math1(I, a, sin, false, false); }
static Value b_cos(Interp *I, Args *a)  { return math1(I, a, cos, false, false); }
static Value b_tanh(Interp *I, Args *a) { return math1(I, a, tanh, false, false); }
static double sigm(double x) { return 1 / (1 + exp(-x)); }
static Value b_sigmoid(Interp *I, Args *a) { return math1(I, a, sigm, false, false); }

/* min/max/sum over numbers given as arguments or as one list */
static Value fold(Interp *I, Args *a, int kind)
{
    Value *v = a->v; int n = a->n;
    if (n == 1 && a->v[0].tag == V_LIST) { v = AS_LIST(a->v[0])->v; n = (int)AS_LIST(a->v[0])->n; }
    else if (n == 1 && a->v[0].tag == V_RANGE && kind == 2) {
        ObjRange *r = AS_RANGE(a->v[0]);       /* n items from lo to last: n (lo + last) / 2 */
        double len = (double)ev_range_len(r), last = r->lo + (len - 1) * r->step;
        return VNUM(len ? len * (r->lo + last) / 2 : 0);
    }
    if (a->n < 1 || (a->n >= 1 && a->v[0].tag != V_NUM && a->v[0].tag != V_LIST) || a->nkw)
        return lib_bad(I, a, 0, "numbers or a list of numbers");
    if (n == 0) return kind == 2 ? VNUM(0) : err_raise(I, "%s of an empty list", a->fname);
    double acc = kind == 2 ? 0 : v[0].tag == V_NUM ? v[0].as.n : 0;
    for (int i = 0; i < n; i++) {
        if (v[i].tag != V_NUM) return err_raise(I, "'%s' needs numbers (item %d is a %s)", a->fname, i + 1, val_type_name(v[i]));
        double x = v[i].as.n;
        if (kind == 0) acc = x < acc ? x : acc;
        else if (kind == 1) acc = x > acc ? x : acc;
        else acc += x;
    }
    return VNUM(acc);
}
static Value b_min(Interp *I, Args *a) { return fold(I, a, 0); }
static Value b_max(Interp *I, Args *a) { return fold(I, a, 1); }
static Value b_sum(Interp *I, Args *a) { return fold(I, a, 2); }

static Value b_seed(Interp *I, Args *a)
{
    long s;
    if (!lib_arity(I, a, 1, 1) || !lib_int(I, a, 0, &s)) return VERR;
    ev_seed(I, (uint64_t)s);
    return VNONE;
}

static Value b_random(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 0)) return VERR;
    return VNUM(rng_uniform(ev_rng(I, lib_draw_party(I, a))));
}

static Value b_show(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    Value v = a->v[0];
    Sb b; sb_init(&b);
    sb_printf(&b, "%s at %s", val_type_name(v), ev_party_name(I, v.owner));
    if (v.tag == V_TENSOR) {
        Tn *t = AS_TENSOR(v);
        sb_puts(&b, ", shape [");
        for (int i = 0; i < t->ndim; i++) sb_printf(&b, "%s%d", i ? ", " : "", t->shape[i]);
        sb_puts(&b, "]");
    }
    sb_puts(&b, ":\n");
    if (v.tag == V_OBJ && AS_USER(v)->cls->show) AS_USER(v)->cls->show(I, AS_USER(v)->p, &b, 1);
    else val_show_seen(I, v, &b, false, val_owner(v));
    sb_putc(&b, '\n');
    fwrite(b.s, 1, b.n, I->out);
    sb_free(&b);
    return VNONE;
}

/* Prints an example indented, every line of it (its `# -> ` lines show what it prints). */
static void example_show(Interp *I, const char *ex)
{
    fputs("\nExample:\n", I->out);
    for (const char *p = ex; *p; ) {
        size_t n = strcspn(p, "\n");
        fprintf(I->out, "    %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

static void help_one(Interp *I, const LibReg *r)
{
    fprintf(I->out, "%s\n\n", r->sig ? r->sig : r->name);
    if (r->help) fprintf(I->out, "%s\n", r->help);
    if (r->example) example_show(I, r->example);
}

static Value b_help(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 1)) return VERR;
    if (a->n == 0) {
        fputs("ppdl builtins (help(name) for one; docs/language.md for the language):\n", I->out);
        int col = 0;
        for (uint32_t i = 0; i < I->nbuiltins; i++) {
            const LibReg *r = I->builtins[i];
            if (r->name[0] == '_' || lib_find(I, r->name) != r) continue;
            int w = (int)strlen(r->name) + 2;
            if (col + w > 78) { fputc('\n', I->out); col = 0; }
            fprintf(I->out, "  %s", r->name);
            col += w;
        }
        fputs("\n", I->out);
        for (int pass = 0; pass < 2; pass++) {
            const char *kind = pass ? "concept" : "statement";
            fprintf(I->out, "%s:", pass ? "concepts (help(\"mpc\") ...)" : "statements (help(\"on\") ...)");
            for (const HelpTopic *t = help_topics; t->name; t++)
                if (strcmp(t->kind, kind) == 0) fprintf(I->out, " %s", t->name);
            fputc('\n', I->out);
        }
        return VNONE;
    }
    Value v = a->v[0];
    const char *name = v.tag == V_BUILTIN ? v.as.fn->name : v.tag == V_STR ? AS_STR(v)->s : NULL;
    if (!name) return lib_bad(I, a, 0, "builtin or name");
    const HelpTopic *t = v.tag == V_STR ? help_topic(name) : NULL;
    const LibReg *r = lib_find(I, name);
    if (t) {
        fprintf(I->out, "%s — %s\n\n%s\n", t->name, t->title, t->text);
        example_show(I, t->example);
        if (!r) return VNONE;
        fprintf(I->out, "\nThe builtin %s:\n\n", name);
    }
    if (!r) return err_raise(I, "no builtin or help page named '%s' (help() lists them)", name);
    help_one(I, r);
    for (const LibReg *n = lib_next(I, r); n; n = lib_next(I, n)) { fputs("\n", I->out); help_one(I, n); }
    return VNONE;
}

static Value b_assert(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 2)) return VERR;
    if (val_truthy(a->v[0])) return VNONE;
    if (a->n == 2 && a->v[1].tag == V_STR) return err_raise(I, "assertion failed: %s", AS_STR(a->v[1])->s);
    return err_raise(I, "assertion failed");
}

/* error(message) or error(e): a caught error record is raised again (rethrown) with
** its message. */
static Value b_error(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1)) return VERR;
    if (a->v[0].tag == V_REC) {
        Value *m = val_rec_get(a->v[0], sym_cstr(&I->syms, "message"));
        if (m && m->tag == V_STR) return err_raise(I, "%s", AS_STR(*m)->s);
    }
    if (a->v[0].tag != V_STR) return lib_bad(I, a, 0, "string or caught error");
    return err_raise(I, "%s", AS_STR(a->v[0])->s);
}

static const LibReg fns[] = {
    {"print", b_print, "print(x, ..., sep = \" \", end = \"\\n\")",
     "Prints its arguments separated by sep and followed by end. Strings print without quotes;\n"
     "keys, shares and ciphertexts print only what their owner may show.", "print(\"hello\", 1 + 2)\n"
     "# -> hello 3", LIB_ANYOWNER | LIB_SHOW},
    {"len", b_len, "len(x)", "Length of a string, list, record, range, or the first dimension of a tensor.",
     "print(len([1, 2, 3]))   # -> 3", LIB_STRUCT},
    {"type", b_type, "type(x)", "The kind of a value as a string: number, string, list, tensor, ciphertext, ...",
     "print(type(1..3))   # -> range", LIB_ANYOWNER},
    {"str", b_str, "str(x)", "The value displayed as a string.", "print(str(0.5) + \"!\")   # -> 0.5!", 0},
    {"num", b_num, "num(x)", "Converts a string or bool to a number; an invalid string is an error.",
     "print(num(\"2.5\") * 2)   # -> 5", 0},
    {"format", b_format, "format(x, spec)",
     "Formats a number with a printf-like spec: \".3f\", \"8.2e\", \"d\". f-strings do the same: f\"{x:.3f}\".",
     "print(format(3.14159, \".2f\"))   # -> 3.14", 0},
    {"append", b_append, "append(list, x)", "Appends x to the list (in place).", "l = [1]; append(l, 2); print(l)\n"
     "# -> [1, 2]", LIB_WRITES | LIB_STRUCT},
    {"pop", b_pop, "pop(list)", "Removes and returns the last item of the list.", "l = [1, 2]; print(pop(l), l)\n"
     "# -> 2 [1]", LIB_WRITES | LIB_STRUCT},
    {"keys", b_keys, "keys(record)", "The field names of a record, in order.", "print(keys({a = 1, b = 2}))\n"
     "# -> [\"a\", \"b\"]", LIB_STRUCT},
    {"range", b_range, "range(lo, hi, step = 1)", "The numbers lo, lo+step, ... up to and including hi (like lo..hi); whole numbers within ±2^53, step >= 1.",
     "for i in range(0, 10, 5) { print(i) }\n"
     "# -> 0\n"
     "# -> 5\n"
     "# -> 10", 0},
    {"sqrt", b_sqrt, "sqrt(x)", "Square root of a number (tensors: elementwise).", "print(sqrt(16))\n"
     "# -> 4", 0},
    {"exp", b_exp, "exp(x)", "e to the power x (tensors: elementwise).", "print(exp(0))   # -> 1", 0},
    {"log", b_log, "log(x)", "Natural logarithm of a positive number (tensors: elementwise).", "print(log(1))\n"
     "# -> 0", 0},
    {"abs", b_abs, "abs(x)", "Absolute value (tensors: elementwise).", "print(abs(-2))   # -> 2", 0},
    {"floor", b_floor, "floor(x)", "Largest whole number <= x.", "print(floor(2.7))   # -> 2", 0},
    {"ceil", b_ceil, "ceil(x)", "Smallest whole number >= x.", "print(ceil(2.1))   # -> 3", 0},
    {"round", b_round, "round(x, digits = 0)", "Rounds to the nearest whole number, or to digits decimals.",
     "print(round(2.567, 2))   # -> 2.57", 0},
    {"sin", b_sin, "sin(x)", "Sine (radians).", "print(sin(0))   # -> 0", 0},
    {"cos", b_cos, "cos(x)", "Cosine (radians).", "print(cos(0))   # -> 1", 0},
    {"tanh", b_tanh, "tanh(x)", "Hyperbolic tangent (tensors: elementwise).", "print(tanh(0))   # -> 0", 0},
    {"sigmoid", b_sigmoid, "sigmoid(x)", "The logistic function 1 / (1 + exp(-x)) of a number.", "print(sigmoid(0))\n"
     "# -> 0.5", 0},
    {"min", b_min, "min(a, b, ...) or min(list)", "Smallest of numbers (tensors: see the tensor module).",
     "print(min(3, 1, 2))   # -> 1", 0},
    {"max", b_max, "max(a, b, ...) or max(list)", "Largest of numbers (tensors: see the tensor module).",
     "print(max([3, 1, 2]))   # -> 3", 0},
    {"sum", b_sum, "sum(list) or sum(a, b, ...)", "Sum of numbers, a list or a range (tensors: see the tensor module).",
     "print(sum(1..100))   # -> 5050", 0},
    {"seed", b_seed, "seed(n)",
     "Makes all randomness reproducible from n, for classrooms and tests. INSECURE: keys, shares\n"
     "and noise become predictable; ppdl says so on stderr every time.", "seed(42); print(random() < 1)\n"
     "# -> true", LIB_NARRATOR},
    {"random", b_random, "random()", "A uniform random number in [0, 1) from the public generator (at a party: `random() at p`\n"
     "or inside `on p { }`, from p's own).",
     "print(random() >= 0)   # -> true", 0},
    {"show", b_show, "show(x)",
     "Describes a value: where it lives, its kind and shape, and its contents (ciphertexts as short\n"
     "digests, shares per party as digests) — what the experimenter may look at.", "show([1, 2])\n"
     "# -> list at public:\n"
     "# -> [1, 2]", LIB_ANYOWNER | LIB_SHOW},
    {"help", b_help, "help() or help(name)", "Lists the builtins and the help pages, or shows one builtin with its arguments and an\n"
     "example, or a page: help(\"on\"), help(\"party\"), help(\"mpc\"), help(\"rounds\"), ...",
     "help(str)\n"
     "# -> str(x)\n"
     "# ->\n"
     "# -> The value displayed as a string.\n"
     "# ->\n"
     "# -> Example:\n"
     "# ->     print(str(0.5) + \"!\")   # -> 0.5!", LIB_ANYOWNER},
    {"assert", b_assert, "assert(cond, message = none)", "Stops with an error when cond is false.",
     "assert(1 + 1 == 2, \"arithmetic\")\n"
     "try { assert(1 > 2, \"order\") } catch e { print(e.message) }\n"
     "# -> assertion failed: order", LIB_ANYOWNER | LIB_SHOW},
    {"error", b_error, "error(message) or error(e)",
     "Raises an error: the script stops unless a `try` around it catches it.  error(e) raises a caught\n"
     "error e again (rethrow) with its message, at the place of this call.",
     "try { error(\"negative\") } catch e { print(\"caught:\", e.message) }   # -> caught: negative", 0},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

/* l.len and s.len: the builtin len applied to the list or string, called as the
** program would call it (the evaluator's party checks included). */
static Value seq_field(Interp *I, Value self, Sym *name)
{
    const LibReg *b = strcmp(name->name, "len") == 0 ? lib_find(I, "len") : NULL;
    if (b) return ev_call(I, (Value){ .tag = V_BUILTIN, .as.fn = b }, 1, &self);
    return err_raise(I, "a %s has no field '%s'", val_type_name(self), name->name);
}

/* The classes of the V_LIST and V_STR tags: fields only (the evaluator does the rest). */
static const VClass list_class = { .name = "list", .field = seq_field };
static const VClass str_class = { .name = "string", .field = seq_field };

static void core_init(Interp *I)
{
    I->tagclass[V_LIST] = &list_class;
    I->tagclass[V_STR] = &str_class;
}

const LibModule lib_mod_core = { "core", fns, core_init };
