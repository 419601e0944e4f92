/*
 * plugsim internals: JSON text for the trace and the run summary.
 */
#ifndef PSIM_JSON_H
#define PSIM_JSON_H

#include <stdio.h>

/* Writes |s| as a JSON string, quotes included; control characters are
 * escaped as \u00XX (RFC 8259 §7). */
static inline void psim_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

#endif
