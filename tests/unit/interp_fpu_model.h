/*
 * interp_fpu_model.h - the interpreter's FPU model where the host cannot
 * be the reference (interp_fpu_model.c).
 */
#ifndef BT386_TESTS_UNIT_INTERP_FPU_MODEL_H
#define BT386_TESTS_UNIT_INTERP_FPU_MODEL_H

#include <check.h>

TCase *interp_fpu_model_tcase(void);

#endif
