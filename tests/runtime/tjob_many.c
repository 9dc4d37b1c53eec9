/*
 * tjob_many.c: fan-out for the test jobs of tjob.c, in ajc's table shape:
 * array steps (`-> int64_t[]`), mapped steps (`int64_t x = S[]`, element
 * by element after a mapped S) and collects. The plain steps' int64_t
 * slots come first in the outputs block; an array or mapped step's
 * aj_array lies after them, at its own index, so that marking a step
 * moves no other slot.
 */
#include "tjob.h"

#include <stdlib.h>

/* The outputs block of j, once one of its steps has many values. */
static size_t many_base(const tj_job *j)
{
    return j->def.n_steps * sizeof(int64_t);
}

/* Step i's slot becomes an aj_array of int64_t elements. */
static void many_slot(tj_job *j, uint32_t i, const char *type)
{
    aj_step_def *sd = &j->steps[i];

    j->def.outputs_size = many_base(j) + j->def.n_steps * sizeof(aj_array);
    sd->output_type = type;
    sd->output_offset = many_base(j) + i * sizeof(aj_array);
    sd->output_size = sizeof(aj_array);
    sd->element_size = sizeof(int64_t);
}

static void array_free(void *slot)
{
    free(((aj_array *)slot)->items);
}

void tj_set_array(tj_job *j, uint32_t i)
{
    many_slot(j, i, "int64_t[]");
    j->steps[i].free_output = array_free;
    j->exec[i].flags |= AJ_STEP_ARRAY;
}

void tj_set_map(tj_job *j, uint32_t i, uint32_t source)
{
    many_slot(j, i, "int64_t");
    j->steps[i].map_source = (int32_t)source;
    j->exec[i].flags |= AJ_STEP_MAPPED;
}

bool tj_many(const tj_job *j, uint32_t i)
{
    return (j->exec[i].flags & (AJ_STEP_ARRAY | AJ_STEP_MAPPED)) != 0;
}

static const aj_array *array_of(const tj_job *j, uint32_t i, const void *outputs)
{
    return (const aj_array *)((const char *)outputs + j->steps[i].output_offset);
}

int64_t tj_many_input(const tj_job *j, uint32_t from, const aj_ctx *ctx, const void *outputs)
{
    const aj_array *a = array_of(j, from, outputs);
    const int64_t *items = a->items;
    uint32_t to = aj_ctx_step_index(ctx);
    int64_t sum = 0;

    if ((j->exec[to].flags & AJ_STEP_MAPPED) && j->steps[to].map_source == (int32_t)from)
        return items[aj_ctx_index(ctx)];
    for (size_t k = 0; k < a->n; k++)
        sum += items[k];
    return sum;
}

int64_t *tj_elem_slot(const tj_job *j, aj_ctx *ctx, void *outputs)
{
    uint32_t i = aj_ctx_step_index(ctx);

    if (!(j->exec[i].flags & AJ_STEP_MAPPED))
        return NULL;
    return (int64_t *)((aj_array *)((char *)outputs + j->steps[i].output_offset))->items +
           aj_ctx_index(ctx);
}

void tj_produce_array(const tj_job *j, uint32_t i, uint32_t n, int64_t v, void *outputs)
{
    aj_array *a = (aj_array *)((char *)outputs + j->steps[i].output_offset);
    int64_t *items = n > 0 ? malloc(n * sizeof *items) : NULL;

    if (n > 0 && items == NULL)
        abort();
    for (uint32_t k = 0; k < n; k++)
        items[k] = v + k;
    *a = (aj_array){ items, n };
}
