/* abi.h: what ajc takes from the runtime's contract, its ABI number and
 * version, read from asyncjob.h itself: one definition for both sides.
 * Only the macros are used; ajc links nothing of libasyncjob. */
#ifndef AJC_ABI_H
#define AJC_ABI_H

#include "asyncjob.h"

#define AJC_GEN_ABI AJ_GEN_ABI
#define AJC_VERSION AJ_VERSION_STRING

#endif
