/*
 * interp_edge.h - interpreter-only tests of the integer instructions
 * (interp_edge.c), part of the test_interp_native program.
 */
#ifndef BT386_TESTS_UNIT_INTERP_EDGE_H
#define BT386_TESTS_UNIT_INTERP_EDGE_H

#include <check.h>

TCase *interp_edge_tcase(void);

#endif
