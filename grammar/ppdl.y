/*
** ppdl.y — the Lemon grammar of ppdl.  It owns the syntax: statements, precedence
** (Python's, lowest first: `at`, or, and, not, comparisons, `..`, + -, * / % @, unary
** - +, **, postfix), and which tree each form builds; every action is one call to an
** ast_ builder or a ps_ helper of parse.c.  It does not tokenize (lx.c) or drive the
** parser (parse.c).  A first token XEXPR switches the start symbol to one expression
** (f-string parts).  The driver asks ppdlParseAccepts() before feeding each token (Bison's
** "LAC"), so an error is caught before default reductions lose information, and
** describe_expected() probes the tables for the tokens that could have come next.
*/

%name ppdlParse
%token_prefix TK_
%token_type {LxToken}
%default_type {Node *}
%extra_context {PsState *P}
%stack_size 3000
%start_symbol input

/* Token codes, fixed here so their order is stable (lx.c switches on them). */
%token NEWLINE SEMI NUMBER STRING FSTRING NAME
       IF ELSE FOR IN WHILE BREAK CONTINUE RETURN FN IMPORT PARTY SCHEME NETWORK ON
       TRUE FALSE NONE
       ASSIGN PLUSEQ MINUSEQ STAREQ SLASHEQ DOT COMMA COLON
       LPAREN RPAREN LBRACKET RBRACKET LBRACE LREC RBRACE XEXPR PARALLEL TRY CATCH.

%nonassoc AT.
%left OR.
%left AND.
%right NOT.
%nonassoc EQ NE LT LE GT GE.
%nonassoc DOTDOT.
%left PLUS MINUS.
%left STAR SLASH PERCENT MATMUL.
%right UMINUS.
%right POW.

%include {
#include <assert.h>
#include <stdlib.h>
#include "ast.h"
#include "lx.h"
#include "parse.h"

#define U (P->u)
#define SYM(t) ps_sym(P, &(t))
#define END(t) ((t).off + (t).len)

struct yyParser;
static void describe_expected(struct yyParser *p, char *buf, size_t size);
}

/* Nodes live in the unit's arena, which ps_parse frees in one go when a parse fails,
** so discarding a value from the parser stack needs no work. */
%default_destructor { (void)P; (void)$$; }

%syntax_error {
    char expected[160];
    describe_expected(yypParser, expected, sizeof expected);
    ps_syntax_error(P, yymajor, &TOKEN, expected);
}
%parse_failure { ps_fail(P, P->end, 0, "syntax error"); }
%stack_overflow { ps_fail(P, P->tok_off, P->tok_len, "expression too deeply nested"); }

/* ---- units -------------------------------------------------------------------- */
input ::= program(A).                 { P->result = A; }
input ::= XEXPR expr(A).              { P->result = A; }

program(A) ::= stmts(L).              { A = ast_wrap(U, L, N_PROGRAM, NULL, NULL, P->start, P->end); }
program(A) ::= stmts(L) stmt(S).      { ast_push(U, L, S); A = ast_wrap(U, L, N_PROGRAM, NULL, NULL, P->start, P->end); }

stmts(A) ::= .                        { A = ast_node(U, N_BLOCK, 0, 0); }
stmts(A) ::= stmts(L) sep.            { A = L; }
stmts(A) ::= stmts(L) stmt(S) sep.    { ast_push(U, L, S); A = L; }

sep ::= NEWLINE.
sep ::= SEMI.

block(A) ::= LBRACE(L) stmts(S) RBRACE(R).         { A = ast_wrap(U, S, N_BLOCK, NULL, NULL, L.off, END(R)); }
block(A) ::= LBRACE(L) stmts(S) stmt(X) RBRACE(R). { ast_push(U, S, X); A = ast_wrap(U, S, N_BLOCK, NULL, NULL, L.off, END(R)); }

/* ---- statements --------------------------------------------------------------- */
stmt(A) ::= expr(E).                          { A = ast_pair(U, N_EXPR, E, NULL); }
stmt(A) ::= expr(T) ASSIGN expr(V).           { A = ps_assign(P, N_ASSIGN, OP_NONE, T, V); }
stmt(A) ::= expr(T) PLUSEQ expr(V).           { A = ps_assign(P, N_AUGASSIGN, OP_ADD, T, V); }
stmt(A) ::= expr(T) MINUSEQ expr(V).          { A = ps_assign(P, N_AUGASSIGN, OP_SUB, T, V); }
stmt(A) ::= expr(T) STAREQ expr(V).           { A = ps_assign(P, N_AUGASSIGN, OP_MUL, T, V); }
stmt(A) ::= expr(T) SLASHEQ expr(V).          { A = ps_assign(P, N_AUGASSIGN, OP_DIV, T, V); }
stmt(A) ::= if(I).                            { A = I; }
stmt(A) ::= FOR(K) NAME(N) IN expr(E) block(B). { A = ast_stmt(U, N_FOR, K.off, END(K), SYM(N), E, B, NULL); }
stmt(A) ::= WHILE(K) expr(C) block(B).        { A = ast_stmt(U, N_WHILE, K.off, END(K), NULL, C, B, NULL); }
stmt(A) ::= BREAK(K).                         { A = ast_stmt(U, N_BREAK, K.off, END(K), NULL, NULL, NULL, NULL); }
stmt(A) ::= CONTINUE(K).                      { A = ast_stmt(U, N_CONTINUE, K.off, END(K), NULL, NULL, NULL, NULL); }
stmt(A) ::= RETURN(K).                        { A = ast_stmt(U, N_RETURN, K.off, END(K), NULL, NULL, NULL, NULL); }
stmt(A) ::= RETURN(K) expr(E).                { A = ast_stmt(U, N_RETURN, K.off, END(K), NULL, E, NULL, NULL); }
stmt(A) ::= FN(K) NAME(N) LPAREN params(L) RPAREN block(B). { A = ast_wrap(U, L, N_FN, SYM(N), B, K.off, B ? B->off + B->len : END(N)); }
stmt(A) ::= IMPORT(K) STRING(S).              { A = ps_import(P, &K, &S); }
stmt(A) ::= PARTY(K) names(L).                { A = ast_wrap(U, L, N_PARTY, NULL, NULL, K.off, L->off + L->len); }
stmt(A) ::= SCHEME(K) NAME(N) ASSIGN expr(E). { A = ast_stmt(U, N_SCHEME, K.off, END(N), SYM(N), E, NULL, NULL); }
stmt(A) ::= NETWORK(K) NAME(N) LBRACE layers(L) RBRACE(R).          { A = ast_wrap(U, L, N_NETWORK, SYM(N), NULL, K.off, END(R)); }
stmt(A) ::= NETWORK(K) NAME(N) LBRACE layers(L) expr(X) RBRACE(R).  { ps_layer(P, L, X); A = ast_wrap(U, L, N_NETWORK, SYM(N), NULL, K.off, END(R)); }
stmt(A) ::= ON(K) expr(E) block(B).           { A = ast_stmt(U, N_ON, K.off, END(K), NULL, E, B, NULL); }
stmt(A) ::= PARALLEL(K) block(B).             { A = ast_stmt(U, N_PARALLEL, K.off, END(K), NULL, NULL, B, NULL); }
stmt(A) ::= TRY(K) block(B) CATCH NAME(N) block(C). { A = ast_stmt(U, N_TRY, K.off, END(K), SYM(N), NULL, B, C); }
stmt(A) ::= TRY(K) block(B) CATCH block(C).   { A = ast_stmt(U, N_TRY, K.off, END(K), NULL, NULL, B, C); }

if(A) ::= IF(K) expr(C) block(B).             { A = ast_stmt(U, N_IF, K.off, END(K), NULL, C, B, NULL); }
if(A) ::= IF(K) expr(C) block(B) ELSE block(E). { A = ast_stmt(U, N_IF, K.off, END(K), NULL, C, B, E); }
if(A) ::= IF(K) expr(C) block(B) ELSE if(E).  { A = ast_stmt(U, N_IF, K.off, END(K), NULL, C, B, E); }

layers(A) ::= .                               { A = ast_node(U, N_NETWORK, 0, 0); }
layers(A) ::= layers(L) sep.                  { A = L; }
layers(A) ::= layers(L) expr(X) sep.          { ps_layer(P, L, X); A = L; }

names(A) ::= NAME(N).                         { A = ast_node(U, N_PARTY, N.off, N.len); ast_push(U, A, ast_name(U, SYM(N), N.off, N.len)); }
names(A) ::= names(L) COMMA NAME(N).          { ast_push(U, L, ast_name(U, SYM(N), N.off, N.len)); ast_span(L, L->off, END(N)); A = L; }

params(A) ::= .                               { A = ast_node(U, N_FN, 0, 0); }
params(A) ::= plist(L).                       { A = L; }
params(A) ::= plist(L) COMMA.                 { A = L; }
plist(A) ::= param(X).                        { A = ast_node(U, N_FN, 0, 0); ps_param(P, A, X); }
plist(A) ::= plist(L) COMMA param(X).         { ps_param(P, L, X); A = L; }
param(A) ::= NAME(N).                         { A = ast_named(U, N_PARAM, SYM(N), N.off, N.len, NULL); }
param(A) ::= NAME(N) ASSIGN expr(E).          { A = ast_named(U, N_PARAM, SYM(N), N.off, N.len, E); }

/* ---- expressions -------------------------------------------------------------- */
expr(A) ::= primary(X).                       { A = X; }
expr(A) ::= expr(X) AT expr(Y).               { A = ast_pair(U, N_AT, X, Y); }
expr(A) ::= expr(X) OR expr(Y).               { A = ast_pair(U, N_OR, X, Y); }
expr(A) ::= expr(X) AND expr(Y).              { A = ast_pair(U, N_AND, X, Y); }
expr(A) ::= NOT(K) expr(X).                   { A = ast_unop(U, OP_NOT, X, K.off); }
expr(A) ::= expr(X) EQ expr(Y).               { A = ast_binop(U, OP_EQ, X, Y); }
expr(A) ::= expr(X) NE expr(Y).               { A = ast_binop(U, OP_NE, X, Y); }
expr(A) ::= expr(X) LT expr(Y).               { A = ast_binop(U, OP_LT, X, Y); }
expr(A) ::= expr(X) LE expr(Y).               { A = ast_binop(U, OP_LE, X, Y); }
expr(A) ::= expr(X) GT expr(Y).               { A = ast_binop(U, OP_GT, X, Y); }
expr(A) ::= expr(X) GE expr(Y).               { A = ast_binop(U, OP_GE, X, Y); }
expr(A) ::= expr(X) DOTDOT expr(Y).           { A = ast_pair(U, N_RANGE, X, Y); }
expr(A) ::= expr(X) PLUS expr(Y).             { A = ast_binop(U, OP_ADD, X, Y); }
expr(A) ::= expr(X) MINUS expr(Y).            { A = ast_binop(U, OP_SUB, X, Y); }
expr(A) ::= expr(X) STAR expr(Y).             { A = ast_binop(U, OP_MUL, X, Y); }
expr(A) ::= expr(X) SLASH expr(Y).            { A = ast_binop(U, OP_DIV, X, Y); }
expr(A) ::= expr(X) PERCENT expr(Y).          { A = ast_binop(U, OP_MOD, X, Y); }
expr(A) ::= expr(X) MATMUL expr(Y).           { A = ast_binop(U, OP_MATMUL, X, Y); }
expr(A) ::= MINUS(K) expr(X). [UMINUS]        { A = ast_unop(U, OP_NEG, X, K.off); }
expr(A) ::= PLUS(K) expr(X). [UMINUS]         { A = ast_unop(U, OP_POS, X, K.off); }
expr(A) ::= expr(X) POW expr(Y).              { A = ast_binop(U, OP_POW, X, Y); }

primary(A) ::= atom(X).                                   { A = X; }
primary(A) ::= primary(F) LPAREN args(L) RPAREN(R).       { A = ast_wrap(U, L, N_CALL, NULL, F, F->off, END(R)); }
primary(A) ::= primary(O) LBRACKET idxs(L) RBRACKET(R).   { A = ast_wrap(U, L, N_INDEX, NULL, O, O->off, END(R)); }
primary(A) ::= primary(O) DOT NAME(N).                    { A = ast_field(U, O, SYM(N), END(N)); }

atom(A) ::= NUMBER(T).                        { A = ast_num(U, T.num, T.off, T.len); }
atom(A) ::= STRING(T).                        { A = ps_string(P, &T); }
atom(A) ::= FSTRING(T).                       { A = ps_fstring(P, &T); }
atom(A) ::= TRUE(T).                          { A = ast_bool(U, 1, T.off, T.len); }
atom(A) ::= FALSE(T).                         { A = ast_bool(U, 0, T.off, T.len); }
atom(A) ::= NONE(T).                          { A = ast_node(U, N_NONE, T.off, T.len); }
atom(A) ::= NAME(T).                          { A = ast_name(U, SYM(T), T.off, T.len); }
atom(A) ::= LPAREN(L) expr(E) RPAREN(R).      { A = E; ast_span(A, L.off, END(R)); }
atom(A) ::= LBRACKET(L) items(I) RBRACKET(R). { A = ast_wrap(U, I, N_LIST, NULL, NULL, L.off, END(R)); }
atom(A) ::= LREC(L) ritems(I) RBRACE(R).      { A = ast_wrap(U, I, N_REC, NULL, NULL, L.off, END(R)); }
atom(A) ::= FN(K) LPAREN params(L) RPAREN block(B). { A = ast_wrap(U, L, N_FN, NULL, B, K.off, B ? B->off + B->len : K.off + K.len); }

items(A) ::= .                                { A = ast_node(U, N_LIST, 0, 0); }
items(A) ::= ilist(L).                        { A = L; }
items(A) ::= ilist(L) COMMA.                  { A = L; }
ilist(A) ::= expr(X).                         { A = ast_node(U, N_LIST, 0, 0); ast_push(U, A, X); }
ilist(A) ::= ilist(L) COMMA expr(X).          { ast_push(U, L, X); A = L; }

ritems(A) ::= .                               { A = ast_node(U, N_REC, 0, 0); }
ritems(A) ::= rlist(L).                       { A = L; }
ritems(A) ::= rlist(L) COMMA.                 { A = L; }
rlist(A) ::= ritem(X).                        { A = ast_node(U, N_REC, 0, 0); ast_push(U, A, X); }
rlist(A) ::= rlist(L) COMMA ritem(X).         { ast_push(U, L, X); A = L; }
ritem(A) ::= NAME(N) ASSIGN expr(E).          { A = ast_named(U, N_KWARG, SYM(N), N.off, N.len, E); }

args(A) ::= .                                 { A = ast_node(U, N_CALL, 0, 0); }
args(A) ::= alist(L).                         { A = L; }
args(A) ::= alist(L) COMMA.                   { A = L; }
alist(A) ::= arg(X).                          { A = ast_node(U, N_CALL, 0, 0); ps_arg(P, A, X); }
alist(A) ::= alist(L) COMMA arg(X).           { ps_arg(P, L, X); A = L; }
arg(A) ::= expr(E).                           { A = E; }
arg(A) ::= NAME(N) ASSIGN expr(E).            { A = ast_named(U, N_KWARG, SYM(N), N.off, N.len, E); }

idxs(A) ::= idx(X).                           { A = ast_node(U, N_INDEX, 0, 0); ast_push(U, A, X); }
idxs(A) ::= idxs(L) COMMA idx(X).             { ast_push(U, L, X); A = L; }
idx(A) ::= expr(E).                           { A = E; }
idx(A) ::= COLON(C).                          { A = ast_stmt(U, N_SLICE, C.off, END(C), NULL, NULL, NULL, NULL); }
idx(A) ::= expr(S) COLON(C).                  { A = ast_stmt(U, N_SLICE, S->off, END(C), NULL, S, NULL, NULL); }
idx(A) ::= COLON(C) expr(E).                  { A = ast_stmt(U, N_SLICE, C.off, END(C), NULL, NULL, E, NULL); }
idx(A) ::= expr(S) COLON(C) expr(E).          { A = ast_stmt(U, N_SLICE, S->off, END(C), NULL, S, E, NULL); }

%code {
/* Would the parser, in its current state, shift token tok (after any reductions)?
** Simulates the reductions on a copy of the top of the stack; the real stack is left
** untouched. */
static int accepts(yyParser *p, int tok)
{
    YYACTIONTYPE over[128];
    int nover = 0;
    yyStackEntry *base = p->yytos;
    YYACTIONTYPE st = base->stateno;
    for (int guard = 0; guard < 4 * YYSTACKDEPTH + 100; guard++) {
        YYACTIONTYPE act = yy_find_shift_action((YYCODETYPE)tok, st);
        if (act >= YY_MIN_REDUCE) {
            unsigned rule = act - YY_MIN_REDUCE;
            int n = -yyRuleInfoNRhs[rule];
            while (n > 0 && nover > 0) { nover--; n--; }
            if (base - p->yystack < n) return 0;
            base -= n;
            YYACTIONTYPE top = nover ? over[nover - 1] : base->stateno;
            if (nover == (int)(sizeof over / sizeof over[0])) return 0;
            st = yy_find_reduce_action(top, yyRuleInfoLhs[rule]);
            over[nover++] = st;
        } else if (act <= YY_MAX_SHIFTREDUCE) {
            return 1;
        } else {
            return act == YY_ACCEPT_ACTION;
        }
    }
    return 0;
}

static const int expr_start[] = {
    TK_NUMBER, TK_STRING, TK_FSTRING, TK_NAME, TK_TRUE, TK_FALSE, TK_NONE, TK_LPAREN,
    TK_LBRACKET, TK_LREC, TK_FN, TK_MINUS, TK_PLUS, TK_NOT, 0
};
static const int stmt_start[] = {
    TK_IF, TK_FOR, TK_WHILE, TK_BREAK, TK_CONTINUE, TK_RETURN, TK_IMPORT, TK_PARTY,
    TK_SCHEME, TK_NETWORK, TK_ON, TK_PARALLEL, TK_TRY, 0
};
static const int operators[] = {
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT, TK_POW, TK_MATMUL, TK_EQ, TK_NE,
    TK_LT, TK_LE, TK_GT, TK_GE, TK_AND, TK_OR, TK_AT, TK_DOTDOT, TK_LPAREN, TK_LBRACKET,
    TK_DOT, 0
};

static int all_in(const char *acc, const int *set)
{
    for (; *set; set++) if (!acc[*set]) return 0;
    return 1;
}

static void clear(char *acc, const int *set) { for (; *set; set++) acc[*set] = 0; }

/* Writes what could have come next ("an expression or ')'"), or "" when the list would
** be too long to help. */
static void describe_expected(struct yyParser *p, char *buf, size_t size)
{
    char acc[YYNTOKEN];
    const char *parts[8];
    int n = 0;
    for (int t = 0; t < YYNTOKEN; t++)
        acc[t] = t != TK_XEXPR && t != TK_UMINUS && accepts(p, t);
    buf[0] = 0;
    if (acc[TK_IF] && all_in(acc, stmt_start) && all_in(acc, expr_start)) {
        parts[n++] = "a statement";
        clear(acc, stmt_start); clear(acc, expr_start);
        acc[TK_NEWLINE] = acc[TK_SEMI] = 0;
    } else if (all_in(acc, expr_start)) {
        parts[n++] = "an expression";
        clear(acc, expr_start);
    }
    if (acc[TK_STAR]) { parts[n++] = "an operator"; clear(acc, operators); }
    if (acc[TK_ASSIGN] && acc[TK_PLUSEQ]) acc[TK_PLUSEQ] = acc[TK_MINUSEQ] = acc[TK_STAREQ] = acc[TK_SLASHEQ] = 0;
    if (acc[TK_NEWLINE]) {
        parts[n++] = "end of statement";
        acc[TK_NEWLINE] = acc[TK_SEMI] = acc[0] = 0;
    }
    if (acc[TK_LREC] && acc[TK_LBRACE]) acc[TK_LREC] = 0;
    for (int t = 1; t < YYNTOKEN; t++) {
        if (!acc[t]) continue;
        if (n == 6) return;
        parts[n++] = lx_token_name(t);
    }
    if (acc[0] && n == 0) parts[n++] = "end of input";
    if (n == 0 || n > 4) return;
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        const char *sepr = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        int w = snprintf(buf + used, size - used, "%s%s", sepr, parts[i]);
        if (w < 0 || (size_t)w >= size - used) break;
        used += (size_t)w;
    }
}

/* For the driver (parse.c): would the next token be shifted?  What was expected? */
int ppdlParseAccepts(void *p, int tok) { return accepts((yyParser *)p, tok); }
void ppdlParseExpected(void *p, char *buf, size_t size) { describe_expected(p, buf, size); }
}
