/*
 * sema_subjob_map.c: sub-job steps that map, `step Fetch(TableName t =
 * ListTables[]) -> Rows job fetch_table;`. flatten.c inlines the job's
 * steps as mapped steps, each run once per element of ListTables, and so
 * the steps of the jobs they run in turn. Each of them must be a step
 * that can map: what sema_map.c refuses for a mapped step is refused here
 * too (conditions, trigger rules other than `on success`, optional
 * inputs), where the inner step says it, naming the sub-job step that maps
 * it. So is a step that returns an array: an array per element would need
 * maps that nest. Every map and collect inside the job starts at such a
 * step, so its one error covers them. Runs once no job contains itself.
 */
#include "sema_job.h"

/* One mapped sub-job step, whose inlined steps are being checked. */
typedef struct mapped_sub {
    sema *s;
    const ast_step *t1;
} mapped_sub;

/* An error at `at` in inner step st, whose copy is PATH/st: what it has,
 * then the rule and what to do; a note at T1's map. */
static void refuse(const mapped_sub *m, const ast_step *st, const char *path, ajc_loc at,
                   const char *what, const char *rule)
{
    const ast_step *t1 = m->t1;
    const ast_param *map = t1->map_input;
    diag_error(m->s->diag, at, "step '%s' of job '%s' runs once per element as '%s/%s', since "
               "step '%s' maps over '%s[]', and %s; %s", st->name.name, st->job->name.name, path,
               st->name.name, t1->name.name, map->producer.name, what, rule);
    diag_note(m->s->diag, map->map, "step '%s' of job '%s' maps job '%s' over '%s[]' here",
              t1->name.name, t1->job->name.name, t1->subjob->name.name, map->producer.name);
}

/* "has 'when Big'": the attribute, as written, from its keyword to end. */
static const char *has(const mapped_sub *m, ajc_loc kw, ajc_loc end)
{
    const char *text = src_text(m->s->src, (ajc_loc){ kw.begin, end.end });
    return arena_cat(m->s->arena, "has '", text, "'", NULL);
}

static void check_attrs(const mapped_sub *m, const ast_step *st, const char *path)
{
    const char *collect = arena_cat(m->s->arena, "conditions and trigger rules of mapped "
                                    "steps are not supported: decide in the step that makes "
                                    "the array, or in a step that collects '", m->t1->name.name,
                                    "'", NULL);
    for (uint32_t i = 0; i < st->attrs.n; i++) {
        const ast_attr *a = ast_step_attr(st, i);
        if (a->kind == ATTR_CONDITION)
            refuse(m, st, path, (ajc_loc){ a->loc.begin, a->name.loc.end },
                   has(m, a->loc, a->name.loc), collect);
        else if (a->kind == ATTR_ON && a->rule != AST_ON_SUCCESS)
            refuse(m, st, path, (ajc_loc){ a->loc.begin, a->rule_loc.end },
                   has(m, a->loc, a->rule_loc), collect);
    }
}

static void check_inputs(const mapped_sub *m, const ast_step *st, const char *path)
{
    for (uint32_t i = 0; i < st->inputs.n; i++) {
        const ast_param *in = ast_step_input(st, i);
        /* 'optional' on another source is an error of its own. */
        if (!ast_loc_empty(in->optional) && in->source == AST_SRC_STEP)
            refuse(m, st, path, in->optional,
                   arena_cat(m->s->arena, "its input '", in->name.name, "' is 'optional'", NULL),
                   "optional inputs of mapped steps are not supported: remove 'optional'");
    }
}

static void check_array(const mapped_sub *m, const ast_step *st, const char *path)
{
    const char *type = st->output->text;
    refuse(m, st, path, st->output->array,
           arena_cat(m->s->arena, "returns an array ('-> ", type, "[]')", NULL),
           arena_cat(m->s->arena, "maps do not nest: return one '", type, "', or make one "
                     "array of every element's items in a step of job '", m->t1->job->name.name,
                     "' and map over that", NULL));
}

/* The steps of job j, inlined as PATH/...: each step, and the steps of
 * the jobs it runs. A sub-job step of j has had its attributes refused
 * already (sema_job.c); one that maps, or returns an array, runs what the
 * error at its array covers. */
static void check_job(const mapped_sub *m, const ast_job *j, const char *path)
{
    for (uint32_t i = 0; i < j->steps.n; i++) {
        const ast_step *st = ast_job_step(j, i);
        if (st->job_attr == NULL)
            check_attrs(m, st, path);
        check_inputs(m, st, path);
        if (ast_step_array(st))
            check_array(m, st, path);
        else if (st->subjob != NULL && !st->mapped)
            check_job(m, st->subjob, arena_cat(m->s->arena, path, "/", st->name.name, NULL));
    }
}

void sema_check_mapped_subjobs(sema *s)
{
    for (uint32_t i = 0; i < s->file->jobs.n; i++) {
        const ast_job *j = ast_file_job(s->file, i);
        for (uint32_t k = 0; k < j->steps.n; k++) {
            const ast_step *t1 = ast_job_step(j, k);
            mapped_sub m = { s, t1 };
            if (t1->subjob != NULL && t1->map_input != NULL)
                check_job(&m, t1->subjob, t1->name.name);
        }
    }
}
