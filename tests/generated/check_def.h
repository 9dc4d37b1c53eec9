/* check_def.h: an independent check of a generated aj_job_def's tables. */
#ifndef CHECK_DEF_H
#define CHECK_DEF_H

#include <asyncjob.h>

/* NULL when def keeps every rule that asyncjob.h states for aj_job_def
 * (recomputed here from the edges alone), else which rule it breaks. */
const char *check_def(const aj_job_def *def);

/* NULL when aj_job_def_dot() of defs, one after the other, prints exactly
 * the bytes of the file at path (what `ajc --dot` printed for the .job
 * file: ajc has a DOT writer of its own), else what differs. */
const char *check_def_dot(const aj_job_def *const *defs, size_t n, const char *path);

/* NULL when aj_instance_dot(inst, AJ_DOT_NO_TIMES) prints exactly the bytes
 * of the file at path, else what differs. With AJ_UPDATE_GOLDEN set in the
 * environment it first writes them there: after a deliberate change, to
 * be read with git diff. */
const char *check_instance_dot(const aj_instance *inst, const char *path);

#endif
