/*
 * plugtcp-fuzz-explain: makes a fuzz finding readable.  It replays one
 * input through the same harness code the fuzzer runs, with tracing on,
 * and writes what happened as a pcap, JSON lines and a ladder diagram.
 *
 *   plugtcp-fuzz-explain [-t TARGET] [-o PREFIX] [--pcap FILE]
 *                        [--json FILE] [--ladder FILE] [-q] INPUT
 *
 * By default it writes PREFIX.pcap, PREFIX.jsonl and PREFIX.ladder.txt,
 * PREFIX being INPUT; --pcap/--json/--ladder choose a file each ("-" is
 * standard output) and leave out the others unless they are named too.
 * It prints a summary unless -q.
 *
 * Exit status: 0 when every oracle held, 1 when one failed (the outputs
 * end with it), 2 for a usage error or an unreadable input.
 *
 * Targets: conn (the default), whose harness reports to a fuzz_tracer
 * (fuzz/fuzz_trace.h) that explain_out.c writes, and e2e, whose two
 * simulated hosts are written by libplugsim's own pcap, JSON-lines
 * trace and ladder modules (explain_e2e.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "conn_driver.h"
#include "explain_e2e.h"
#include "explain_out.h"

#define MAX_INPUT (1u << 20)

/* Runs an input with its outputs (a NULL path leaves one out); returns
 * 0 with a summary, or -1 with a message in |err|.  An oracle failure
 * ends the process inside (status 1). */
typedef int (*run_fn)(const uint8_t *data, size_t size, const char *pcap,
                      const char *json, const char *ladder, char *summary, size_t cap,
                      char *err, size_t errlen);

static int run_conn(const uint8_t *data, size_t size, const char *pcap, const char *json,
                    const char *ladder, char *summary, size_t cap, char *err,
                    size_t errlen) {
  explain_out *o = explain_out_open(pcap, json, ladder, err, errlen);
  cd_summary s;
  char states[256] = "";
  size_t used = 0;

  if (o == NULL)
    return -1;
  cd_run(data, size, explain_out_tracer(o), &s);
  for (int i = 0; i < PTCP_STATE_COUNT; i++)
    if (s.states_seen & (1u << i))
      used += (size_t)snprintf(states + used, sizeof(states) - used, "%s%s",
                               used ? " " : "", ptcp_state_name((ptcp_state)i));
  snprintf(
      summary, cap,
      "%u events, %llu packets in, %llu out, states entered: %s%s; every oracle held",
      s.events, (unsigned long long)s.packets_in, (unsigned long long)s.packets_out,
      used ? states : "none", s.setup_failed ? " (the set-up failed)" : "");
  return explain_out_close(o, err, errlen);
}

static const struct {
  const char *name;
  run_fn run;
} targets[] = {
    {"conn", run_conn},
    {"e2e", explain_e2e},
};

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: plugtcp-fuzz-explain [-t TARGET] [-o PREFIX] [--pcap FILE] [--json FILE]\n"
      "                            [--ladder FILE] [-q] INPUT\n"
      "targets:");
  for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
    fprintf(f, " %s", targets[i].name);
  fprintf(f, "\n");
}

/* A wrong command line says what is wrong and exits 2. */
static int bad_usage(const char *what, const char *arg) {
  fprintf(stderr, "plugtcp-fuzz-explain: %s%s%s%s\n", what, arg ? " '" : "",
          arg ? arg : "", arg ? "'" : "");
  usage(stderr);
  return 2;
}

static uint8_t *read_input(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  size_t n;

  if (f == NULL) {
    fprintf(stderr, "plugtcp-fuzz-explain: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  buf = malloc(MAX_INPUT + 1);
  if (buf == NULL) {
    fclose(f);
    return NULL;
  }
  n = fread(buf, 1, MAX_INPUT + 1, f);
  fclose(f);
  if (n > MAX_INPUT) {
    fprintf(stderr, "plugtcp-fuzz-explain: %s: larger than %u bytes\n", path, MAX_INPUT);
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  const char *target = "conn", *prefix = NULL, *input = NULL;
  const char *pcap = NULL, *json = NULL, *ladder = NULL;
  char pbuf[4096], jbuf[4096], lbuf[4096], err[512], summary[512];
  int quiet = 0, chosen = 0;
  run_fn run = NULL;
  uint8_t *data;
  size_t len;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "-q") == 0) {
      quiet = 1;
    } else if (strcmp(a, "-t") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--pcap") == 0 ||
               strcmp(a, "--json") == 0 || strcmp(a, "--ladder") == 0) {
      if (i + 1 >= argc)
        return bad_usage("this option needs a value:", a);
      if (strcmp(a, "-t") == 0)
        target = argv[++i];
      else if (strcmp(a, "-o") == 0)
        prefix = argv[++i];
      else if (strcmp(a, "--pcap") == 0)
        pcap = argv[++i], chosen = 1;
      else if (strcmp(a, "--json") == 0)
        json = argv[++i], chosen = 1;
      else
        ladder = argv[++i], chosen = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      return bad_usage("unknown option", a);
    } else if (input != NULL) {
      return bad_usage("one input at a time; a second one:", a);
    } else {
      input = a;
    }
  }
  if (input == NULL)
    return bad_usage("no input file given", NULL);
  for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
    if (strcmp(targets[i].name, target) == 0)
      run = targets[i].run;
  if (run == NULL)
    return bad_usage("unknown target", target);
  if (!chosen) {
    if (prefix == NULL)
      prefix = input;
    snprintf(pbuf, sizeof(pbuf), "%s.pcap", prefix);
    snprintf(jbuf, sizeof(jbuf), "%s.jsonl", prefix);
    snprintf(lbuf, sizeof(lbuf), "%s.ladder.txt", prefix);
    pcap = pbuf;
    json = jbuf;
    ladder = lbuf;
  } else if (prefix != NULL) {
    return bad_usage("-o and --pcap/--json/--ladder exclude each other", NULL);
  }

  data = read_input(input, &len);
  if (data == NULL)
    return 2;
  /* An oracle failure ends the process inside the run (status 1). */
  if (run(data, len, pcap, json, ladder, summary, sizeof(summary), err, sizeof(err)) !=
      0) {
    fprintf(stderr, "plugtcp-fuzz-explain: %s\n", err);
    free(data);
    return 2;
  }
  free(data);
  if (!quiet) {
    printf("%s: %s\n", input, summary);
    if (!chosen)
      printf("wrote %s, %s, %s\n", pbuf, jbuf, lbuf);
  }
  return 0;
}
