/* An rto policy that takes the name of the built-in default. */
#include "test_plugin.h"

TEST_RTO(impostor, "rfc6298");

PTCP_PLUGIN(&impostor.info);
