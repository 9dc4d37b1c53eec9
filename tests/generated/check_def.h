/* check_def.h: an independent check of a generated aj_job_def's tables. */
#ifndef CHECK_DEF_H
#define CHECK_DEF_H

#include <asyncjob.h>

/* NULL when def keeps every rule that asyncjob.h states for aj_job_def
 * (recomputed here from the edges alone), else which rule it breaks. */
const char *check_def(const aj_job_def *def);

#endif
