/*
 * timer.c: the runtime's timer queue, an intrusive pairing heap of step
 * records ordered by due_ns. The links live in the records, so a retry
 * delay allocates nothing; any record can be removed (cancellation cuts
 * delays short). Callers hold the runtime's lock.
 */
#include "aj_internal.h"

/* Joins two heap roots; the later one becomes the first child. */
static aj__step *meld(aj__step *a, aj__step *b)
{
    aj__step *t;

    if (a == NULL)
        return b;
    if (b == NULL)
        return a;
    if (b->due_ns < a->due_ns) {
        t = a;
        a = b;
        b = t;
    }
    b->t_prev = a;
    b->t_sibling = a->t_child;
    if (a->t_child != NULL)
        a->t_child->t_prev = b;
    a->t_child = b;
    return a;
}

static void detach(aj__step *s)
{
    s->t_prev = NULL;
    s->t_sibling = NULL;
}

/* The classic two passes: meld pairs left to right, then fold the pairs
 * right to left. The first pass stacks its results on t_sibling. */
static aj__step *merge_pairs(aj__step *first)
{
    aj__step *stack = NULL, *heap = NULL;

    while (first != NULL) {
        aj__step *a = first, *b = first->t_sibling, *m;
        first = b != NULL ? b->t_sibling : NULL;
        detach(a);
        if (b != NULL)
            detach(b);
        m = meld(a, b);
        m->t_sibling = stack;
        stack = m;
    }
    while (stack != NULL) {
        aj__step *next = stack->t_sibling;
        stack->t_sibling = NULL;
        heap = meld(heap, stack);
        stack = next;
    }
    return heap;
}

void aj__timer_insert(aj__step **root, aj__step *s)
{
    s->t_child = NULL;
    detach(s);
    *root = meld(*root, s);
}

aj__step *aj__timer_pop(aj__step **root)
{
    aj__step *top = *root;

    if (top == NULL)
        return NULL;
    *root = merge_pairs(top->t_child);
    if (*root != NULL)
        (*root)->t_prev = NULL;
    top->t_child = NULL;
    return top;
}

void aj__timer_remove(aj__step **root, aj__step *s)
{
    aj__step *sub;

    if (s == *root) {
        aj__timer_pop(root);
        return;
    }
    if (s->t_prev->t_child == s)
        s->t_prev->t_child = s->t_sibling;
    else
        s->t_prev->t_sibling = s->t_sibling;
    if (s->t_sibling != NULL)
        s->t_sibling->t_prev = s->t_prev;
    detach(s);
    sub = merge_pairs(s->t_child);
    s->t_child = NULL;
    *root = meld(*root, sub);
}
