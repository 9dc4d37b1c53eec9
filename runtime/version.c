/* version.c: the library's version, as the header it was built with says. */
#include "asyncjob.h"

const char *aj_version(void)
{
    return AJ_VERSION_STRING;
}
