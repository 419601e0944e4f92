/*
 * plugtcp tests: the runner shared by every Check program.  Each
 * tests/check_<module>.c defines one suite; the build names it with
 * -DSUITE_FN=ptcp_<module>_suite, so every module is its own test in
 * `make check` and the suites run in parallel.
 */
#include <check.h>
#include <stdlib.h>

#ifndef SUITE_FN
#error "SUITE_FN must name the suite constructor"
#endif

Suite *SUITE_FN(void);

int main(void) {
  SRunner *sr = srunner_create(SUITE_FN());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
