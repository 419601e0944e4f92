/*
 * plugtcp: the default allocator and address helpers.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/common.h>

static void *default_malloc(size_t size, void *user_data) {
  (void)user_data;
  return malloc(size);
}

static void default_free(void *ptr, void *user_data) {
  (void)user_data;
  free(ptr);
}

static void *default_calloc(size_t nmemb, size_t size, void *user_data) {
  (void)user_data;
  return calloc(nmemb, size);
}

static void *default_realloc(void *ptr, size_t size, void *user_data) {
  (void)user_data;
  return realloc(ptr, size);
}

static const ptcp_mem default_mem = {
    .user_data = NULL,
    .malloc = default_malloc,
    .free = default_free,
    .calloc = default_calloc,
    .realloc = default_realloc,
};

const ptcp_mem *ptcp_mem_default(void) { return &default_mem; }

int ptcp_addr_equal(const ptcp_addr *a, const ptcp_addr *b) {
  if (a->family != b->family)
    return 0;
  return memcmp(a->bytes, b->bytes, a->family == PTCP_AF_INET ? 4 : 16) == 0;
}

int ptcp_addr_parse(ptcp_addr *out, const char *text) {
  ptcp_addr a;

  if (out == NULL || text == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  memset(&a, 0, sizeof(a));
  if (inet_pton(AF_INET, text, a.bytes) == 1) {
    a.family = PTCP_AF_INET;
  } else if (inet_pton(AF_INET6, text, a.bytes) == 1) {
    a.family = PTCP_AF_INET6;
  } else {
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  *out = a;
  return 0;
}

const char *ptcp_addr_format(const ptcp_addr *a, char *buf, size_t cap) {
  int af = a->family == PTCP_AF_INET6 ? AF_INET6 : AF_INET;

  if (cap == 0)
    return buf;
  if (inet_ntop(af, a->bytes, buf, (socklen_t)cap) == NULL)
    buf[0] = '\0';
  return buf;
}
