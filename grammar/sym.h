/*
** sym.h — interned identifiers.  Every name in a program is interned once into a
** SymTab; the evaluator uses a symbol's dense id as its global slot, so a global
** variable access is one array index, never a hash lookup.  Symbols live until the
** table is freed.
*/
#ifndef SYM_H
#define SYM_H
#include <stddef.h>
#include <stdint.h>

typedef struct Sym { uint32_t id, len, hash; char name[]; } Sym;
typedef struct SymTab { Sym **slots; uint32_t cap; uint32_t count; Sym **byid; } SymTab;

void sym_init(SymTab *t);
void sym_free(SymTab *t);
/* Returns the unique symbol for s[0..len); ids are 0, 1, 2, ... in order of interning. */
Sym *sym_intern(SymTab *t, const char *s, size_t len);
Sym *sym_cstr(SymTab *t, const char *s);
/* The symbol with that id, or NULL. */
Sym *sym_byid(const SymTab *t, uint32_t id);

#endif
