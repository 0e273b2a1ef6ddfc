/*
** parties_file.h — the parties file: who the parties of a distributed run are, where
** each one listens and which CURVE public key it proves it holds.  One line a party:
**
**     # a comment line
**     party alice endpoint tcp://127.0.0.1:5601 key Z85PUBLICKEY   # a comment
**
** Words are separated by blanks.  A comment runs from a word starting with '#' to the
** end of the line, where a word may begin: first on the line, or after the key (Z85
** keys may contain '#', so a '#' inside or at the start of the key is the key's).
** NAME is a letter or '_' followed by letters, digits or '_' (at most 31 characters);
** the endpoint is tcp://HOST:PORT with PORT in 1..65535; the key is the 40-character
** Z85 text of a CURVE public key as `ppdl keygen NAME` prints it.  A party's id is its
** position in the file, from 1.  Names, endpoints and keys must be unique.
**
** One optional line `narrator NAME endpoint tcp://HOST:PORT key PUBLICKEY` names the
** driver of a distributed run (`ppdl --parties FILE`, docs/distributed.md): it is not a
** party of the script, sends the parties what to run and receives what they show.  It
** is kept last, whatever its line, so the parties' ids are their lines' order.
**
** This file only parses and checks; runtime/transport_zmq.c uses the result.  Errors
** read "FILE:LINE:COLUMN: what is wrong (what to do)".
*/
#ifndef PARTIES_FILE_H
#define PARTIES_FILE_H
#include <stddef.h>

#define PF_NAME_MAX 31
#define PF_KEY_LEN  40              /* Z85 text of a 32-byte CURVE key */

typedef struct PartyEntry {
    char name[PF_NAME_MAX + 1];
    char *endpoint;                 /* "tcp://HOST:PORT" (owned) */
    char key[PF_KEY_LEN + 1];       /* Z85 public key */
} PartyEntry;

typedef struct PartiesFile {
    PartyEntry *p;                  /* p[0] is party 1 */
    int n;                          /* entries, the narrator's included */
    int narrator;                   /* the narrator's id (n), or 0 when there is none */
} PartiesFile;

/* Parses text (len bytes; `file` names it in errors).  0 and *pf filled, or -1 with
** the first error in err (pf is left empty). */
int pf_parse(PartiesFile *pf, const char *file, const char *text, size_t len,
             char *err, size_t errlen);
/* Reads and parses the file at path: 0, or -1 with err. */
int pf_load(PartiesFile *pf, const char *path, char *err, size_t errlen);
void pf_free(PartiesFile *pf);
/* The id (from 1) of the party called name, or 0. */
int pf_find(const PartiesFile *pf, const char *name);

#endif
