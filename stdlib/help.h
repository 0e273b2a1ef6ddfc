/*
** help.h — the help pages that are not builtins: the language's statements (`on`,
** `party`, `scheme`, `network`, `at`, `try`) and the concepts a course needs (`mpc`,
** `paillier`, `dp`, `rounds`; `lab` points at docs/lab/).  help() lists them,
** help("name") shows one; every page has an example that tests/unit/test_examples.c
** runs and compares, as builtins' are.
*/
#ifndef HELP_H
#define HELP_H

typedef struct HelpTopic {
    const char *name;           /* what help("name") takes */
    const char *kind;           /* "statement" or "concept" */
    const char *title;          /* one line */
    const char *text;           /* the page */
    const char *example;        /* ppdl code that runs, then "# -> " lines: what it prints */
} HelpTopic;

/* The pages, terminated by an entry whose name is NULL. */
extern const HelpTopic help_topics[];
/* The page named name, or NULL. */
const HelpTopic *help_topic(const char *name);

#endif
