/* kb_helper.h - the built-in knowledge base, opened once per test program by cmocka group
 * setup and freed by teardown (test_bounce, test_diagnose, test_explain, test_kb)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_TEST_KB_HELPER_H
#define MXD_TEST_KB_HELPER_H

#include "mxdiag/kb.h"

static mxd_kb *kb;

static int kb_setup(void **state)
{
    (void)state;
    return mxd_kb_open(&kb) == MXD_OK ? 0 : -1;
}

static int kb_teardown(void **state)
{
    (void)state;
    mxd_kb_free(kb);
    return 0;
}

#endif
