/*
 * main.c: the two ways to get a job's result. greeting_result() lends it:
 * the instance still owns it and frees it in greeting_free().
 * greeting_take() hands it over: the instance forgets it, and the caller
 * frees it, once, when it is done, after the instance is gone if it likes.
 */
#include "take.job.h"

int main(void)
{
    greeting *job;
    Text lent, mine = NULL, again = NULL;

    if (greeting_start(NULL, "Ada", NULL, &job) != AJ_OK || greeting_wait(job, -1) != AJ_OK)
        return 1;

    greeting_result(job, &lent);
    printf("result (lent):  %s\n", lent);

    greeting_take(job, &mine);
    printf("take (ours):    %s\n", mine);

    /* An output can be taken once: a second take gets nothing. */
    int rc = greeting_take(job, &again);
    printf("take again:     %s\n", aj_strerror(rc));

    /* Frees every output not taken: Greet's "hello, Ada!" only. */
    printf("greeting_free:\n");
    greeting_free(job);

    printf("still ours:     %s\n", mine);
    printf("our free:\n");
    text_free(mine);
    return again == NULL && rc == AJ_ETAKEN ? 0 : 1;
}
