/*
 * bt_progs.h - multi-block guest programs under the translator and the
 * interpreter (bt_progs.c), part of the test_bt_diff program.
 */
#ifndef BT386_TESTS_UNIT_BT_PROGS_H
#define BT386_TESTS_UNIT_BT_PROGS_H

#include <check.h>

TCase *bt_progs_tcase(void);

#endif
