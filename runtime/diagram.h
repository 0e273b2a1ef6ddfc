/*
** diagram.h — protocols as pictures: a message-sequence chart of transcript records
** (transcript.h), one lifeline per party, one arrow per message labelled with its kind and size,
** grouped by round and phase, leaks marked (red where colour is available).  Three
** renderers over the same layout: terminal text in Unicode box drawing that fits a given
** width, SVG, and Mermaid's sequenceDiagram text for slides.  Pure functions of the
** records: the caller chooses which messages to draw and where the text goes; this file
** reads no interpreter state and writes no file.
*/
#ifndef DIAGRAM_H
#define DIAGRAM_H
#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"
#include "transcript.h"

typedef struct DgChart {
    const TrMsg *const *msgs; size_t n;     /* the messages to draw, in transcript order */
    const char *const *names;               /* names[id]: party id's name (0: "public") */
    const int *lanes; int nlanes;           /* the party ids with a lifeline, left to right */
} DgChart;

/* Terminal text: at most width columns (a chart that cannot fit shortens names and
** labels); color: ANSI red for leaks.  Appends to out; returns the number of lines. */
size_t dg_text(Sb *out, const DgChart *c, int width, bool color);
/* An SVG document (UTF-8, standalone) of the chart. */
void   dg_svg(Sb *out, const DgChart *c);
/* Mermaid sequenceDiagram text: participants in lane order, a Note per round, one
** `A->>B: kind size` line per message, leaks inside a red rect block. */
void   dg_mermaid(Sb *out, const DgChart *c);
/* "29 B", "1.4 kB", "12.0 MB": a byte count as the charts label it. */
void   dg_size(char *buf, size_t cap, unsigned long long bytes);

#endif
