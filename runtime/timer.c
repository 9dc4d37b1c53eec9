/*
 * timer.c: the runtime's timer queue, an intrusive pairing heap of timer
 * nodes ordered by due_ns. Each step has its node in its instance's one
 * allocation, so a retry delay allocates nothing; any node can be removed
 * (cancellation cuts delays short). Callers hold the runtime's lock.
 * The same nodes also make FIFO queues (the blocking pool's, the limits'),
 * for a step that waits there and in no heap.
 */
#include "aj_base.h"

/* Joins two heap roots; the later one becomes the first child. */
static aj__timer *meld(aj__timer *a, aj__timer *b)
{
    aj__timer *t;

    if (a == NULL)
        return b;
    if (b == NULL)
        return a;
    if (b->due_ns < a->due_ns) {
        t = a;
        a = b;
        b = t;
    }
    b->prev = a;
    b->sibling = a->child;
    if (a->child != NULL)
        a->child->prev = b;
    a->child = b;
    return a;
}

static void detach(aj__timer *s)
{
    s->prev = NULL;
    s->sibling = NULL;
}

/* The classic two passes: meld pairs left to right, then fold the pairs
 * right to left. The first pass stacks its results on sibling. */
static aj__timer *merge_pairs(aj__timer *first)
{
    aj__timer *stack = NULL, *heap = NULL;

    while (first != NULL) {
        aj__timer *a = first, *b = first->sibling, *m;
        first = b != NULL ? b->sibling : NULL;
        detach(a);
        if (b != NULL)
            detach(b);
        m = meld(a, b);
        m->sibling = stack;
        stack = m;
    }
    while (stack != NULL) {
        aj__timer *next = stack->sibling;
        stack->sibling = NULL;
        heap = meld(heap, stack);
        stack = next;
    }
    return heap;
}

void aj__timer_insert(aj__timer **root, aj__timer *s)
{
    s->child = NULL;
    detach(s);
    *root = meld(*root, s);
}

aj__timer *aj__timer_pop(aj__timer **root)
{
    aj__timer *top = *root;

    if (top == NULL)
        return NULL;
    *root = merge_pairs(top->child);
    if (*root != NULL)
        (*root)->prev = NULL;
    top->child = NULL;
    return top;
}

void aj__timer_remove(aj__timer **root, aj__timer *s)
{
    aj__timer *sub;

    if (s == *root) {
        aj__timer_pop(root);
        return;
    }
    if (s->prev->child == s)
        s->prev->child = s->sibling;
    else
        s->prev->sibling = s->sibling;
    if (s->sibling != NULL)
        s->sibling->prev = s->prev;
    detach(s);
    sub = merge_pairs(s->child);
    s->child = NULL;
    *root = meld(*root, sub);
}

void aj__tlist_push(aj__timer **head, aj__timer **tail, aj__timer *t)
{
    t->sibling = NULL;
    t->prev = *tail;
    if (*tail != NULL)
        (*tail)->sibling = t;
    else
        *head = t;
    *tail = t;
}

void aj__tlist_unlink(aj__timer **head, aj__timer **tail, aj__timer *t)
{
    if (t->prev != NULL)
        t->prev->sibling = t->sibling;
    else
        *head = t->sibling;
    if (t->sibling != NULL)
        t->sibling->prev = t->prev;
    else
        *tail = t->prev;
}
